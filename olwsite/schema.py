"""The front-matter schema: one table that the model validates with, and that the
JSON Schema for editors and the front-matter reference page are generated from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROLES = ("core", "frontier", "reference")
TIERS = (1, 2, 3)
DEFAULT_LAYERS = ("0A", "0B", "1", "2", "3", "4", "5")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # string | integer | date | slugs | strings | enum | facts | mapping
    description: str
    required: bool = False
    default: str = ""  # how the default is chosen, in words
    choices: tuple[Any, ...] = ()
    fields: tuple[Field, ...] = ()  # for kind == "mapping"


FAMILY_FIELDS: tuple[Field, ...] = (
    Field("name", "string", "Family name shown in the index table.", required=True),
    Field("org", "string", "Organisation that released the weights."),
    Field("released", "date", "Date of the family's first release (YYYY-MM-DD); orders the table."),
    Field("years", "string", "Year column of the table, e.g. '2023-2024'.",
          default="the year of 'released'"),
    Field("sizes", "string", "Sizes in billions of parameters; MoE as 'active / total'."),
    Field("architecture", "string", "Headline architecture, e.g. 'dense, GQA' or 'MoE, MLA'."),
    Field("context", "string", "Context window as shown, e.g. '128K' or 'up to 10M'."),
    Field("license", "string", "Licence of the weights."),
    Field("notable", "string", "What the family is known for, one phrase."),
    Field("facts", "facts",
          "Named numbers usable in every page's check blocks, e.g. 'llama2_70b_params: 70B'."),
)

PAGE_FIELDS: tuple[Field, ...] = (
    Field("title", "string", "The page title.", required=True),
    Field("summary", "string", "One or two sentences shown under the title and in lists."),
    Field("track", "string", "Track the page belongs to.", default="its folder under content/"),
    Field("tier", "enum", "1 foundational, 2 core, 3 advanced. A page may only require pages "
          "of its own tier or lower.", default="2", choices=TIERS),
    Field("layer", "string", "Curriculum layer label, e.g. '1'.", default="'1'"),
    Field("role", "enum", "Role in the curriculum.", default="core", choices=ROLES),
    Field("reading_time", "integer", "Minutes to read.", default="word count / 200"),
    Field("prerequisites", "slugs", "Slugs of the pages this page directly relies on.",
          default="none"),
    Field("next", "slugs", "Editorial next topics; shown only when the target lists this page "
          "as a prerequisite.", default="none"),
    Field("last_reviewed", "date", "Date of the last review (YYYY-MM-DD)."),
    Field("labs", "strings", "Ids of companion labs declared in graph/labs.yml.",
          default="none"),
    Field("tags", "strings", "Free-form tags.", default="none"),
    Field("family", "mapping", "Makes this a model-family page: a row of the family index "
          "table.", fields=FAMILY_FIELDS),
)


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a page's front-matter, from the table above."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "olwsite page front-matter",
        **_object_schema(PAGE_FIELDS),
    }


def _object_schema(fields: tuple[Field, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {f.name: _field_schema(f) for f in fields},
        "required": [f.name for f in fields if f.required],
        "additionalProperties": False,
    }


def _field_schema(f: Field) -> dict[str, Any]:
    base: dict[str, Any] = {"description": f.description}
    if f.kind == "string":
        if f.required:  # the loader strips text, so a required one needs a visible character
            return {**base, "type": "string", "pattern": "\\S"}
        return {**base, "type": "string"}
    if f.kind == "integer":
        return {**base, "type": "integer", "minimum": 1}
    if f.kind == "date":
        return {**base, "type": "string", "format": "date"}
    if f.kind == "enum":
        return {**base, "enum": list(f.choices)}
    if f.kind == "slugs":
        return {**base, "type": "array",
                "items": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"}}
    if f.kind == "strings":
        return {**base, "type": "array", "items": {"type": "string"}}
    if f.kind == "facts":
        return {**base, "type": "object",
                "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
                "additionalProperties": {"type": ["string", "number"]}}
    if f.kind == "mapping":
        return {**base, **_object_schema(f.fields)}
    raise ValueError(f.kind)
