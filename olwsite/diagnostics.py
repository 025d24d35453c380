"""Diagnostics: the one registry of codes, and the record every stage returns.

A code never changes meaning once released. The site's reference page of codes is
generated from ``REGISTRY``, so every code is documented exactly once, here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(enum.IntEnum):
    INFO = 0
    WARNING = 1
    ERROR = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Code:
    code: str
    name: str  # permanent kebab-case name, e.g. "unknown-prerequisite"
    title: str  # one line: what happened
    severity: Severity
    hint: str  # what to do about it


@dataclass(frozen=True)
class Related:
    path: str
    line: int
    col: int
    note: str


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    path: str  # relative to the project root, with forward slashes
    line: int = 1
    col: int = 1
    severity: Severity | None = None  # None: the registry's default
    hint: str | None = None  # None: the registry's hint
    related: tuple[Related, ...] = field(default=())

    @property
    def effective_severity(self) -> Severity:
        return self.severity if self.severity is not None else REGISTRY[self.code].severity

    @property
    def effective_hint(self) -> str:
        return self.hint if self.hint is not None else REGISTRY[self.code].hint

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.col, self.code, self.message)


def _codes(*codes: Code) -> dict[str, Code]:
    return {c.code: c for c in codes}


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

REGISTRY: dict[str, Code] = _codes(
    # E1xx: reading files
    Code("E101", "not-utf8", "file is not valid UTF-8", E,
         "save the file as UTF-8 (most editors: 'Save with encoding')"),
    Code("E102", "unreadable-file", "file could not be read", E,
         "check the file's permissions, or that a symlink points inside the project"),
    Code("E103", "file-too-large", "file is larger than the size limit", E,
         "split the page; topic pages are far below the limit"),
    Code("E104", "missing-front-matter", "page has no YAML front-matter", E,
         "start the file with a '---' line, the YAML keys (at least 'title:'), and a closing '---' line"),
    Code("E105", "unterminated-front-matter", "front-matter is not closed", E,
         "add a line with only '---' after the last front-matter key"),
    Code("E106", "invalid-yaml", "front-matter is not valid YAML", E,
         "fix the YAML syntax at the position shown (indent with spaces, quote values containing ':')"),
    Code("E107", "front-matter-not-mapping", "front-matter is not a mapping of keys to values", E,
         "write front-matter as 'key: value' lines"),
    Code("E108", "unsafe-path", "file is outside the content folder or has an unusable name", E,
         "keep pages as real files under content/<track>/<slug>.md"),
    Code("E109", "yaml-too-complex", "front-matter YAML expands beyond the size limit", E,
         "remove YAML aliases and anchors; front-matter needs plain values"),
    Code("E110", "invalid-data-file", "a data file under graph/ is malformed", E,
         "fix the YAML at the position shown; see the documentation of that file"),
    # E2xx: the page model
    Code("E201", "missing-key", "a required front-matter key is missing", E,
         "add the key; 'title' is the only required key"),
    Code("E202", "wrong-type", "a front-matter value has the wrong type", E,
         "see the front-matter reference for each key's type"),
    Code("E203", "invalid-slug", "slug is not lowercase letters, digits and hyphens", E,
         "rename the file to <slug>.md with a slug like 'grouped-query-attention'"),
    Code("E204", "duplicate-slug", "two pages have the same slug", E,
         "slugs are file stems and must be unique across content/: rename one file"),
    Code("E205", "invalid-value", "a front-matter value is not one of the allowed values", E,
         "use one of the values listed in the message"),
    Code("W201", "unknown-key", "unknown front-matter key", W,
         "check the spelling; unknown keys are ignored"),
    Code("W202", "placeholder", "page still contains scaffold placeholder text", W,
         "replace every 'TODO' left by 'olwsite new' with real content"),
    # E3xx / W3xx: the graph
    Code("E301", "unknown-prerequisite", "prerequisite names no page", E,
         "use the slug (file stem) of an existing page"),
    Code("E302", "cycle", "prerequisites form a cycle", E,
         "a page cannot (indirectly) require itself: remove one edge of the cycle"),
    Code("E303", "self-prerequisite", "page lists itself as a prerequisite", E,
         "remove the page's own slug from its prerequisites"),
    Code("E304", "unknown-next", "'next' entry names no page", E,
         "use the slug (file stem) of an existing page"),
    Code("E305", "duplicate-prerequisite", "prerequisite is listed twice", E,
         "remove the repeated entry"),
    Code("W301", "redundant-prerequisite", "prerequisite is already implied by another prerequisite", W,
         "remove it: readers reach it through the other prerequisite"),
    Code("W302", "tier-inversion", "page requires a page of a higher tier", W,
         "raise this page's tier or lower the prerequisite's"),
    Code("W303", "next-not-reciprocal", "'next' target does not list this page as a prerequisite", W,
         "add this page to the target's prerequisites, or remove the 'next' entry: it would not be shown"),
    Code("W304", "unknown-track", "page's track is not declared in graph/curriculum.yml", W,
         "add the track to graph/curriculum.yml or move the page"),
    Code("W305", "unknown-lab", "page names a lab that graph/labs.yml does not declare", W,
         "declare the lab in graph/labs.yml or fix the id"),
    Code("W306", "path-out-of-order", "curated learning path lists a page before one of its prerequisites", W,
         "reorder the path so every page comes after what it requires"),
    Code("E306", "unknown-path-topic", "curated learning path names no page", E,
         "use the slug of an existing page"),
    Code("I301", "orphan", "page has no prerequisites and no dependents", I,
         "connect it to the curriculum, or ignore if it is a standalone reference"),
    Code("I302", "stale-review", "page has not been reviewed for longer than the configured age", I,
         "reread the page, fix what changed, and update 'last_reviewed'"),
    Code("E501", "template-error", "a template under templates/ failed to render", E,
         "fix the template at the line shown; page content is not the cause"),
    Code("E307", "broken-link", "link to a page that does not exist", E,
         "link to an existing content file with a relative path, e.g. ../foundations/rmsnorm.md"),
    # E4xx: check blocks (claims verified with exact arithmetic)
    Code("E401", "claim-false", "a claim in a check block does not hold", E,
         "fix the number in the text or the computation; the message shows the written value, "
         "the computed value and the difference"),
    Code("E402", "unit-mismatch", "a claim adds or compares values of different dimensions", E,
         "convert one side: divide bytes by a unit (need / GB) to get a plain number, or give "
         "both sides the same unit"),
    Code("E403", "check-syntax", "a check statement cannot be read", E,
         "write one statement a line: 'name = expr', 'expr == expr' or 'expr ≈ 84M'"),
    Code("E404", "forbidden-construct", "a check statement uses a construct the language does "
         "not allow", E,
         "use numbers, names, + - * / ** ( ) and the functions of the table; attributes, "
         "indexing, lambdas and '_' names are never evaluated"),
    Code("E405", "unknown-name", "a check statement reads a name that is not defined", E,
         "bind the name in an earlier statement on this page, or use a registry fact"),
    Code("E406", "unknown-function", "a check statement calls a function that is not in the "
         "table", E,
         "use one of: ceil floor round sqrt log log2 log10 exp min max abs symbols simplify "
         "expand factor integrate diff Sum limit"),
    Code("E407", "too-large", "a check statement exceeds a size or resource limit", E,
         "split the statement into named steps, or use smaller numbers"),
    Code("E408", "claim-timeout", "verifying a claim took longer than the time limit", E,
         "simplify the claim, or split a heavy symbolic step into smaller ones"),
    Code("E409", "cannot-evaluate", "sympy could not evaluate or decide a claim", E,
         "rewrite the claim in a form sympy can decide (give symbols assumptions such as "
         "positive=True), or state the result without a proof"),
    Code("E410", "inline-number", "an inline number {= name | format =} cannot be shown", E,
         "use a name bound in a check block on this page and a format such as GB, GiB, M, % "
         "or %:2"),
    Code("E411", "name-taken", "a check statement binds a name that is already taken", E,
         "choose a new name: a page may not rebind its own names, registry facts or built-in "
         "names"),
    # W6xx: rendering
    Code("W601", "math-not-converted", "a TeX formula could not be converted to MathML", W,
         "fix the TeX at the position shown (unbalanced braces or \\left/\\right, an unknown command); the page shows the source as code until then"),
)
