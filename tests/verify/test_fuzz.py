"""Property tests: the parser and static checks never raise, arithmetic always terminates."""

from __future__ import annotations

from typing import Literal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from olwsite.verify import CheckBlock, InlineRef, PageClaims, check_fact, verify_pages
from olwsite.verify.analyze import analyze_page
from olwsite.verify.ir import Approx, Binding, Compare, Problem
from olwsite.verify.lexer import names_in
from olwsite.verify.parse import parse_expression, parse_statement, parse_written

PIECES = [
    "x", "D", "params", "gpu", "_a", "__class__", "=", "==", "≈", "~=", "±", "<", "<=", ">",
    ">=", "!=", "+", "-", "*", "/", "**", "//", "%", "(", ")", "[", "]", "{", "}", ",", ".",
    ":", ":=", "lambda", "if", "else", "for", "in", "not", "and", "True", "None", "...",
    "70B", "2 B", "0.12%", "84M", "1e5", "1.5", "80 GiB", "GB", "s", "h", "3", "0", "1_000",
    '"x D"', "'y'", 'f"a"', "symbols", "integrate", "ceil", "Sum", "positive=True", "#", " ",
    "9**9**9", "\\", "\x00", "−", "×", "é", "x²", "٣",
]
SURROGATES: tuple[Literal["Cs"], ...] = ("Cs",)  # not encodable as UTF-8: not text
TEXT = st.text(alphabet=st.characters(exclude_categories=SURROGATES), max_size=200)
TOKENS = st.lists(st.sampled_from(PIECES), max_size=30).map(" ".join)
TOKENS_TIGHT = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)
ANY = st.one_of(TEXT, TOKENS, TOKENS_TIGHT)
FAST = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(ANY)
def test_parse_statement_never_raises(text: str) -> None:
    result = parse_statement(text)
    assert result is None or isinstance(result, Problem | Binding | Compare | Approx)
    if isinstance(result, Problem):
        assert 0 <= result.offset <= len(text)
        assert result.code.startswith("E4")


@FAST
@given(ANY)
def test_other_parsers_never_raise(text: str) -> None:
    parse_expression(text)
    parse_written(text)
    assert check_fact(text) is None or isinstance(check_fact(text), str)
    assert isinstance(names_in(text), set)


@FAST
@given(st.lists(ANY, max_size=8).map("\n".join), ANY, st.text(max_size=8))
def test_analyze_page_never_raises(block: str, expr: str, fmt: str) -> None:
    claims = PageClaims((CheckBlock(block, 3, 5),), (InlineRef(1, 1, expr, fmt),))
    plan = analyze_page(claims, {"gpu", "params"})
    assert all(p.line >= 1 and p.col >= 1 for p in plan.problems)
    # at most one problem per line: one diagnostic per statement
    lines = [p.line for p in plan.problems if p.code != "E410"]
    assert len(lines) == len(set(lines))


# Arithmetic that sympy must finish quickly: powers are size-checked before computing.
NUMBER = st.one_of(st.integers(0, 10**6).map(str), st.sampled_from(
    ["9", "10", "0", "1", "2", "0.5", "70B", "1e300", "4000", "2 B", "1 GiB", "3 s", "pi", "E"]))


def _expr(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/", "**"]), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["ceil", "floor", "sqrt", "log", "exp", "abs"]),
                  children).map(lambda t: f"{t[0]}({t[1]})"),
        children.map(lambda c: f"-{c}"),
    )


ARITHMETIC = st.recursive(NUMBER, _expr, max_leaves=8)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ARITHMETIC, min_size=10, max_size=10))
def test_arithmetic_always_ends_in_a_verdict(exprs: list[str]) -> None:
    pages = {str(i): PageClaims((CheckBlock(f"v = {e}\nv == v", 1, 1),))
             for i, e in enumerate(exprs)}
    verdicts, _, stats = verify_pages(pages, {}, {}, timeout_s=3)
    for verdict in verdicts.values():
        assert len(verdict.problems) <= 1
        assert all(p.code in {"E402", "E407", "E408", "E409"} for p in verdict.problems)
    assert stats.verified == len(exprs)

