"""Static checks of a page's claims, without sympy: parse, bounds, names, functions.

Runs in the build process for every page, cached or not, because the cache key needs the
names each page reads. Everything that can be decided without evaluating is decided here
(unknown names and functions, argument shapes, shadowing); the worker only evaluates.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import dataclass

from .formatting import Format, parse_format
from .ir import (
    CONSTANTS,
    FUNCTIONS,
    MAX_BLOCK_STATEMENTS,
    SYMBOL_ASSUMPTIONS,
    TUPLE_TAKERS,
    Approx,
    Binding,
    Body,
    Call,
    Compare,
    Node,
    Problem,
    Ref,
    Str,
    Tup,
    walk,
)
from .lexer import code_part
from .model import ClaimProblem, PageClaims
from .parse import bound_names_guess, is_symbols_call, parse_expression, parse_statement
from .units import UNITS


@dataclass(frozen=True)
class PlannedStatement:
    line: int  # in the .md file
    col: int  # file column of the line's first character
    text: str  # the whole line; node offsets index into it
    source: str  # the statement without comment or surrounding blanks
    body: Body | None  # None: a static problem was reported, nothing to evaluate
    binds: tuple[str, ...]


@dataclass(frozen=True)
class PlannedInline:
    line: int
    col: int
    text: str  # the expression text; node offsets index into it
    expr: Node | None  # None: a static problem was reported
    fmt: Format | None


@dataclass(frozen=True)
class PagePlan:
    statements: tuple[PlannedStatement, ...]
    inline: tuple[PlannedInline, ...]
    problems: tuple[ClaimProblem, ...]
    names: frozenset[str]  # every name the page reads or binds (fact values go in the key)
    suggested_facts: bool  # a did-you-mean drew on the fact names (their list goes in the key)


def _did_you_mean(name: str, candidates: Collection[str]) -> str | None:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


class _Page:
    def __init__(self, fact_names: Collection[str]) -> None:
        self.facts = fact_names
        self.bound: dict[str, int] = {}  # name -> line that binds it
        self.later: dict[str, int] = {}  # names bound further down the page, for hints
        self.names: set[str] = set()
        self.suggested_facts = False

    def _unknown(self, name: str, offset: int, code: str, what: str) -> Problem:
        hint: str | None
        if name in self.later and name not in self.bound:
            hint = f"'{name}' is bound later, on line {self.later[name]}: move this line below it"
        else:
            self.suggested_facts = True
            hint = _did_you_mean(name, [*self.bound, *self.facts, *UNITS, *CONSTANTS])
        return Problem(code, offset, f"unknown {what} '{name}'", hint)

    def resolve(self, root: Node, name_code: str = "E405") -> Problem | None:
        """The first problem with the names and calls under `root`, in reading order."""
        for n in walk(root):
            if isinstance(n, Ref):
                self.names.add(n.name)
                if n.name in self.bound or n.name in self.facts or n.name in UNITS \
                        or n.name in CONSTANTS:
                    continue
                if n.name in FUNCTIONS:
                    return Problem(name_code, n.start, f"'{n.name}' is a function",
                                   f"call it: {n.name}(...)")
                return self._unknown(n.name, n.start, name_code, "name")
            if isinstance(n, Call) and (problem := self._call(n)) is not None:
                return problem
        return None

    def _call(self, n: Call) -> Problem | None:
        if n.func not in FUNCTIONS:
            if n.func in self.bound or n.func in self.facts or n.func in UNITS:
                return Problem("E406", n.start, f"'{n.func}' is a value, not a function")
            return Problem("E406", n.start, f"unknown function '{n.func}'",
                           _did_you_mean(n.func, FUNCTIONS))
        low, high = FUNCTIONS[n.func]
        if len(n.args) < low or (high is not None and len(n.args) > high):
            want = str(low) if low == high else f"{low} to {high}" if high else f"at least {low}"
            return Problem("E403", n.start,
                           f"{n.func}() takes {want} argument(s), got {len(n.args)}")
        for k, a in enumerate(n.args):
            if isinstance(a, Str) and not (n.func == "symbols" and k == 0):
                return Problem("E404", a.start, "strings are only allowed as the names in "
                               "symbols(\"x y\")")
            if isinstance(a, Tup) and (n.func not in TUPLE_TAKERS or k == 0):
                return Problem("E404", a.start, "tuples are only allowed as the limits of "
                               "integrate or Sum", "write integrate(f, (x, 0, 1))")
            if isinstance(a, Tup) and len(a.items) != 3:
                return Problem("E403", a.start, "limits are written (variable, low, high)")
        for key, value in n.kwargs:
            if n.func != "symbols" or key not in SYMBOL_ASSUMPTIONS:
                allowed = ", ".join(f"{k}=True" for k in sorted(SYMBOL_ASSUMPTIONS))
                return Problem("E404", value.start, f"keyword argument '{key}' is not allowed",
                               f"only symbols(...) takes keywords: {allowed}")
        return None

    def bind(self, names: tuple[str, ...], offset: int) -> Problem | None:
        for name in names:
            self.names.add(name)
            if name in self.facts:
                return Problem("E411", offset, f"'{name}' is a registry fact; a page cannot "
                               "bind it again", "choose another name for the page's value")
            if name in self.bound:
                return Problem("E411", offset, f"'{name}' is already bound on line "
                               f"{self.bound[name]}", "choose a new name for the new value")
            if name in FUNCTIONS or name in CONSTANTS:
                return Problem("E411", offset, f"'{name}' is a built-in name",
                               "choose another name")
        return None

    def statement(self, body: Body, offset: int) -> Problem | None:
        if isinstance(body, Binding):
            if (problem := self.bind(body.names, offset)) is not None:
                return problem
            roots = [] if is_symbols_call(body.expr) else [body.expr]
            if is_symbols_call(body.expr):
                assert isinstance(body.expr, Call)
                if (problem := self._call(body.expr)) is not None:
                    return problem
        else:
            roots = _roots(body)
        for root in roots:
            if (problem := self.resolve(root)) is not None:
                return problem
        return None


def _roots(body: Body) -> list[Node]:
    if isinstance(body, Compare):
        return list(body.operands)
    if isinstance(body, Approx):
        return [body.lhs]
    return [body.expr]


def analyze_page(claims: PageClaims, fact_names: Collection[str]) -> PagePlan:
    page = _Page(fact_names)
    problems: list[ClaimProblem] = []
    statements: list[PlannedStatement] = []
    lines = [(b, i, text) for b in claims.blocks for i, text in enumerate(b.text.split("\n"))]
    for b, i, text in lines:
        for name in bound_names_guess(code_part(text)):
            page.later.setdefault(name, b.first_line + i)
    for block in claims.blocks:
        count = 0
        for i, text in enumerate(block.text.split("\n")):
            line = block.first_line + i
            source = code_part(text).strip()
            if not source:
                continue
            count += 1
            if count > MAX_BLOCK_STATEMENTS:
                if count == MAX_BLOCK_STATEMENTS + 1:
                    problems.append(ClaimProblem(
                        line, block.col, "E407",
                        f"check block has more than {MAX_BLOCK_STATEMENTS} statements; the rest "
                        "of the block is not checked", "split it into several check blocks"))
                binds = tuple(bound_names_guess(source))
                statements.append(PlannedStatement(line, block.col, text, source, None, binds))
                page.bound.update({n: line for n in binds if n not in page.bound})
                continue
            parsed = parse_statement(text)
            if parsed is None:
                continue
            if isinstance(parsed, Problem):
                problem: Problem | None = parsed
                binds = tuple(bound_names_guess(source))
                body: Body | None = None
            else:
                body = parsed
                binds = body.names if isinstance(body, Binding) else ()
                problem = page.statement(body, _first_offset(text))
            if problem is not None:
                body = None
                problems.append(ClaimProblem(line, block.col + problem.offset, problem.code,
                                             problem.message, problem.hint))
            page.bound.update({n: line for n in binds if n not in page.bound})
            statements.append(PlannedStatement(line, block.col, text, source, body, binds))
    page.later.clear()
    inline: list[PlannedInline] = []
    for ref in claims.inline:
        expr, fmt, problem = _inline(page, ref.expr, ref.fmt)
        if problem is not None:
            problems.append(ClaimProblem(ref.line, ref.col, "E410", problem.message, problem.hint))
        inline.append(PlannedInline(ref.line, ref.col, ref.expr, expr, fmt))
    return PagePlan(tuple(statements), tuple(inline), tuple(problems), frozenset(page.names),
                    page.suggested_facts)


def _first_offset(text: str) -> int:
    return len(text) - len(text.lstrip())


def _inline(page: _Page, text: str, fmt_text: str) -> tuple[Node | None, Format | None,
                                                             Problem | None]:
    parsed = parse_expression(text)
    if isinstance(parsed, Problem):
        return None, None, Problem("E410", 0, f"inline number '{text.strip()}': {parsed.message}",
                                   parsed.hint)
    problem = page.resolve(parsed, "E410")
    if problem is not None:
        return None, None, Problem("E410", 0, f"inline number: {problem.message}", problem.hint)
    fmt = parse_format(fmt_text)
    if isinstance(fmt, str):
        return None, None, Problem("E410", 0, f"inline number '{text.strip()}': {fmt}")
    return parsed, fmt, None
