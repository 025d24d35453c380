"""The page memo: what reading one page produced (its front-matter with positions, what
the body scan found, its math problems), keyed by a hash of the page's text, so an
unchanged page is not parsed again. At 10,000 topics, YAML composition and the body scan
are most of a rebuild's time.

Stored as JSON under .olwsite-cache/ (never pickle: a cache may come from an untrusted CI
artifact, and JSON only ever yields data). An entry that does not decode is treated as
missing: a damaged memo costs time, never a wrong build.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from .body import BodyParts, Fence, InlineSpan, Link
from .state import code_digest, read_json
from .write import cache_json, replace_file
from .yamlpos import FlatPositions, YamlDoc, flat_key

FORMAT = 3
MathProblem = tuple[int, int, str]  # 0-based body line, 0-based column, message


class _UnencodableError(Exception):
    pass


class PageMemo:
    def __init__(self, entries: dict[str, dict[str, Any]] | None = None) -> None:
        self._old = entries or {}
        self._new: dict[str, dict[str, Any]] = {}
        self._dirty = False  # an entry was added or changed

    @classmethod
    def read(cls, path: Path) -> PageMemo:
        try:
            raw = read_json(path)
            if (raw.get("format") == FORMAT and raw.get("code") == code_digest().hex()
                    and isinstance(raw.get("pages"), dict)):
                return cls(raw["pages"])
        except (OSError, ValueError, AttributeError):
            pass
        return cls()

    def write(self, path: Path) -> None:
        """Keeps only the entries this build used, so the memo never outgrows content/;
        writes nothing if that is what the file already holds."""
        if not self._dirty and self._new.keys() == self._old.keys():
            return
        data = {"format": FORMAT, "code": code_digest().hex(), "pages": self._new}
        replace_file(path, cache_json(data))

    def has(self, digest: str, part: str) -> bool:
        entry = self._new.get(digest) or self._old.get(digest)
        return isinstance(entry, dict) and part in entry

    def entries(self) -> dict[str, dict[str, Any]]:
        """The entries made or used by this build (for a helper to send back)."""
        return self._new

    def absorb(self, entries: object) -> None:
        """Add entries another process made (``entries`` of its memo)."""
        if not isinstance(entries, dict):
            return
        for digest, entry in entries.items():
            if isinstance(digest, str) and isinstance(entry, dict):
                self._entry(digest).update(entry)
                self._dirty = True

    def _entry(self, digest: str) -> dict[str, Any]:
        entry = self._new.get(digest)
        if entry is None:
            old = self._old.get(digest)
            entry = self._new[digest] = dict(old) if isinstance(old, dict) else {}
        return entry

    # -- front-matter ---------------------------------------------------------------------

    def front(self, digest: str) -> YamlDoc | None:
        data = self._entry(digest).get("front")
        if data is None:
            return None
        try:
            keys, values = data["keys"], data["values"]
            if not (isinstance(keys, dict) and isinstance(values, dict)):
                raise TypeError("positions must be mappings")
            return YamlDoc(_decode(data["value"], data["dates"]), FlatPositions(keys),
                           FlatPositions(values))
        except (KeyError, TypeError, ValueError, IndexError):
            self._entry(digest).pop("front", None)
            self._dirty = True
            return None

    def put_front(self, digest: str, doc: YamlDoc) -> None:
        dates: list[list[Any]] = []
        try:
            value = _encode(doc.value, [], dates)
        except _UnencodableError:
            return  # rare YAML types (binary, sets): parsed again next time
        self._dirty = True
        self._entry(digest)["front"] = {
            "value": value,
            "dates": dates,
            "keys": {flat_key(k): list(p) for k, p in doc.key_pos.items()},
            "values": {flat_key(k): list(p) for k, p in doc.value_pos.items()},
        }

    # -- the number of words in its body (for the reading time) ---------------------------

    def words(self, digest: str) -> int | None:
        n = self._entry(digest).get("words")
        return n if isinstance(n, int) and not isinstance(n, bool) and n >= 0 else None

    def put_words(self, digest: str, n: int) -> None:
        self._dirty = True
        self._entry(digest)["words"] = n

    # -- a page's claims: verify.claims_digest and verify.claim_names --------------------

    def claims(self, digest: str) -> tuple[str, frozenset[str]] | None:
        data = self._entry(digest).get("claims")
        if (isinstance(data, list) and len(data) == 2 and isinstance(data[0], str)
                and isinstance(data[1], list) and all(isinstance(n, str) for n in data[1])):
            return data[0], frozenset(data[1])
        return None

    def put_claims(self, digest: str, claims_digest: str, names: frozenset[str]) -> None:
        self._dirty = True
        self._entry(digest)["claims"] = [claims_digest, sorted(names)]

    # -- body -----------------------------------------------------------------------------

    def body(self, digest: str, body: str) -> tuple[BodyParts, list[MathProblem]] | None:
        data = self._entry(digest).get("body")
        if data is None:
            return None
        try:
            fences = [Fence(*f) for f in data["fences"]]
            parts = BodyParts(
                lines=body.split("\n"), fences=fences,
                check_fences=[fences[i] for i in data["check"]],
                inline=[InlineSpan(*s) for s in data["inline"]],
                links=[Link(*link) for link in data["links"]],
                family_table_lines=list(data["table"]),
                placeholder_lines=[(line, col) for line, col in data["todo"]])
            return parts, [(line, col, msg) for line, col, msg in data["math"]]
        except (KeyError, TypeError, ValueError, IndexError):
            self._entry(digest).pop("body", None)
            self._dirty = True
            return None

    def put_body(self, digest: str, parts: BodyParts, math: list[MathProblem]) -> None:
        index = {id(f): i for i, f in enumerate(parts.fences)}
        self._dirty = True
        self._entry(digest)["body"] = {
            "fences": [[f.start, f.end, f.indent, f.info, f.closed] for f in parts.fences],
            "check": [index[id(f)] for f in parts.check_fences],
            "inline": [[s.line, s.start, s.end, s.expr, s.fmt] for s in parts.inline],
            "links": [[link.target, link.line, link.col] for link in parts.links],
            "table": parts.family_table_lines,
            "todo": [list(p) for p in parts.placeholder_lines],
            "math": [list(m) for m in math],
        }


def _encode(value: Any, path: list[str | int], dates: list[list[Any]]) -> Any:
    """``value`` as JSON; dates become ISO text, their paths listed in ``dates`` (so that
    decoding touches only them, not every value)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, list):
        return [_encode(v, [*path, i], dates) for i, v in enumerate(value)]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise _UnencodableError("a mapping key that is not text")
        return {k: _encode(v, [*path, k], dates) for k, v in value.items()}
    if isinstance(value, dt.date):  # datetime is a date too
        dates.append([path, isinstance(value, dt.datetime)])
        return value.isoformat()
    raise _UnencodableError(type(value).__name__)


def _decode(value: Any, dates: list[list[Any]]) -> Any:
    """``value`` with its dates restored. Containers on a date's path are copied first:
    the memo's own entry stays JSON, since it is written back."""
    copied: set[int] = set()

    def own(container: Any) -> Any:
        if not isinstance(container, (dict, list)):
            raise TypeError("a date's path must run through mappings and lists")
        fresh = dict(container) if isinstance(container, dict) else list(container)
        copied.add(id(fresh))
        return fresh

    root = own(value)
    for path, is_datetime in dates:
        *parents, last = path
        holder = root
        for step in parents:
            child = holder[step]
            if id(child) not in copied:
                child = holder[step] = own(child)
            holder = child
        parse = dt.datetime.fromisoformat if is_datetime else dt.date.fromisoformat
        holder[last] = parse(holder[last])
    return root
