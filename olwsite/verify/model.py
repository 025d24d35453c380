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
        """Raises KeyError, TypeError or ValueError on a malformed record: a cache file is
        data, not trusted code. (Called for every cached page, so it stays lean: 90,000
        claims at 10,000 topics.)"""
        problems = tuple(_problem(p) for p in d["problems"])
        records = tuple(_record(r) for r in d["records"])
        inline = tuple(d["inline"])
        if not all(type(s) is str for s in inline):
            raise TypeError("inline texts must be strings")
        return cls(problems, records, inline)


def _problem(p: Any) -> ClaimProblem:
    if type(p) is not dict or len(p) != 5:
        raise TypeError("a problem must be an object of five fields")
    line, col, code, message, hint = p["line"], p["col"], p["code"], p["message"], p["hint"]
    if (type(line) is not int or type(col) is not int or type(code) is not str
            or type(message) is not str or not (hint is None or type(hint) is str)):
        raise TypeError("a problem field has the wrong type")
    return ClaimProblem(line, col, code, message, hint)


def _record(r: Any) -> ClaimRecord:
    if type(r) is not dict or len(r) != 5:
        raise TypeError("a record must be an object of five fields")
    line, source, kind, ok, shown = r["line"], r["source"], r["kind"], r["ok"], r["shown"]
    if (type(line) is not int or type(source) is not str or type(kind) is not str
            or type(ok) is not bool or type(shown) is not str):
        raise TypeError("a record field has the wrong type")
    return ClaimRecord(line, source, kind, ok, shown)


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
