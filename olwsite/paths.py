"""Distinct types for the kinds of path and name, so they cannot be mixed up."""

from __future__ import annotations

import re
from typing import NewType

# A page's identity: the file stem, lowercase [a-z0-9-]+, unique across content/.
Slug = NewType("Slug", str)
# A path relative to the project root, with forward slashes: what diagnostics print.
SrcPath = NewType("SrcPath", str)
# A path relative to the generated docs folder, with forward slashes.
DestPath = NewType("DestPath", str)

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def is_valid_slug(text: str) -> bool:
    return bool(SLUG_RE.match(text))


def slugify(name: str) -> Slug:
    """'Llama 3.1' -> 'llama-3-1'; used by scaffolding, never to resolve references."""
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return Slug(text)


def relative_link(from_dest: DestPath, to_dest: DestPath) -> str:
    """Relative link between two generated pages, as MkDocs resolves it."""
    from_parts = from_dest.split("/")[:-1]
    to_parts = to_dest.split("/")
    common = 0
    while (
        common < len(from_parts)
        and common < len(to_parts) - 1
        and from_parts[common] == to_parts[common]
    ):
        common += 1
    ups = [".."] * (len(from_parts) - common)
    return "/".join(ups + to_parts[common:])
