"""The public records of olwsite.verify: what callers pass in and what they get back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CheckBlock:
    text: str  # the block's inner lines joined with "\n", indentation already removed
    first_line: int  # 1-based line in the .md file of the block's first inner line
    col: int  # 1-based column where statements start in the file (indent + 1)


@dataclass(frozen=True)
class InlineRef:
    """An inline number in prose: {= NAME | FMT =}."""

    line: int
    col: int
    expr: str  # a name bound by the page's check blocks, or a simple expression
    fmt: str  # "" | a unit (GB, GiB, ...) | K M B T | % ; optionally ":DIGITS"


@dataclass(frozen=True)
class PageClaims:
    blocks: tuple[CheckBlock, ...]
    inline: tuple[InlineRef, ...] = ()
    # Optional, for a caller that memoises them: claims_digest() and claim_names() of
    # these claims. With both, the cache key costs no pass over the blocks.
    digest: str = ""
    names: frozenset[str] | None = None


@dataclass(frozen=True)
class ClaimProblem:
    """Becomes a Diagnostic at path:line:col."""

    line: int
    col: int
    code: str
    message: str
    hint: str | None = None


@dataclass(frozen=True)
class ClaimRecord:
    """One statement, for the rendered page's "verified claims" panel."""

    line: int
    source: str
    kind: str  # "binding" | "assertion"
    ok: bool
    shown: str  # e.g. "fp16 = 140 GB" or "lora ≈ 84M  (computed 83,886,080)"


@dataclass(frozen=True)
class PageVerdict:
    problems: tuple[ClaimProblem, ...]
    records: tuple[ClaimRecord, ...]
    inline: tuple[str, ...]  # rendered text per InlineRef, in order; "" where it failed

    def to_json(self) -> dict[str, Any]:
        # by hand: dataclasses.asdict deep-copies every field (0.5 s per 10,000 claims)
        return {
            "problems": [{"line": p.line, "col": p.col, "code": p.code, "message": p.message,
                          "hint": p.hint} for p in self.problems],
            "records": [{"line": r.line, "source": r.source, "kind": r.kind, "ok": r.ok,
                         "shown": r.shown} for r in self.records],
            "inline": list(self.inline),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PageVerdict:
        """Raises KeyError, TypeError or ValueError on a malformed record."""
        problems = tuple(ClaimProblem(**_fields(p, ClaimProblem)) for p in d["problems"])
        records = tuple(ClaimRecord(**_fields(r, ClaimRecord)) for r in d["records"])
        inline = tuple(d["inline"])
        if not all(isinstance(s, str) for s in inline):
            raise TypeError("inline texts must be strings")
        return cls(problems, records, inline)


_TYPES: dict[str, tuple[type, ...]] = {
    "line": (int,), "col": (int,), "code": (str,), "message": (str,),
    "hint": (str, type(None)), "source": (str,), "kind": (str,), "ok": (bool,), "shown": (str,),
}


def _fields(raw: Any, cls: Any) -> dict[str, Any]:
    """Check a JSON object against a record type: a cache file is data, not trusted code.
    A key the type lacks makes its constructor raise TypeError. (Called for every cached
    claim, so it stays lean: 90,000 claims at 10,000 topics.)"""
    if not isinstance(raw, dict):
        raise TypeError(f"{cls.__name__} must be an object")
    for k, v in raw.items():
        allowed = _TYPES.get(k)
        if allowed is None or not isinstance(v, allowed) or (
                k in ("line", "col") and isinstance(v, bool)):
            raise TypeError(f"{cls.__name__}.{k} has the wrong type")
    return raw


@dataclass(frozen=True)
class Event:
    """What a worker streams to the build process, so a timeout still keeps earlier results.

    Defined here, not beside the evaluator, so unpickling one never imports sympy.
    """

    kind: str  # "begin" | "statement" | "inline"
    line: int
    col: int
    problem: ClaimProblem | None = None
    record: ClaimRecord | None = None
    text: str = ""


@dataclass(frozen=True)
class PlanSummary:
    """A worker's first message about a page: what static analysis found, and what will be
    evaluated, so that the build process can account for a page whose worker is killed."""

    problems: tuple[ClaimProblem, ...]
    statements: tuple[tuple[int, str, str], ...]  # (line, source, kind) of each statement
    inline: int  # number of inline references
    suggested_facts: bool  # a did-you-mean hint drew on the list of fact names


@dataclass
class VerifyStats:
    pages: int  # pages given
    verified: int  # pages evaluated now
    cached: int  # pages answered from the cache
    claims: int  # statements across all pages given
    seconds: float
