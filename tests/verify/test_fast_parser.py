"""The fast parser is an optimisation only: whenever it answers, it builds exactly the IR
(spans included) that the `ast` route builds, and it leaves everything else to that route."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from olwsite.verify.ir import MAX_DEPTH, Compare, Node
from olwsite.verify.lexer import code_part, lex
from olwsite.verify.parse import _DeferError, _FastParser, _parse_with_ast, _ParseError

REPO = Path(__file__).resolve().parents[2]
# Pieces the fast parser reads, and a few it must hand over (strings, tuples, keywords).
PIECES = ["x", "gpu", "params", "2", "0.5", "70B", "2 B", "80 GiB", "12%", "+", "-", "*",
          "/", "**", "(", ")", ",", "==", "<", "<=", ">", ">=", "ceil", "min", "sqrt",
          '"x"', "not", "True", "!="]


def _both(text: str, allow_compare: bool) -> tuple[Node | Compare | None, object]:
    tokens = lex(text)
    if not isinstance(tokens, list) or not tokens:
        return None, None
    try:
        fast: Node | Compare | None = _FastParser(tokens).parse(allow_compare)
    except (_DeferError, IndexError):
        fast = None
    try:
        slow: object = _parse_with_ast(tokens, allow_compare)
    except _ParseError as err:
        slow = err.problem
    return fast, slow


def _agree(text: str) -> None:
    for allow_compare in (True, False):
        fast, slow = _both(text, allow_compare)
        if fast is not None:
            assert fast == slow, text


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=25).map(" ".join))
def test_fast_parser_agrees_with_ast_on_token_soup(text: str) -> None:
    _agree(text)


@pytest.mark.parametrize("text", [
    "-2 ** 2", "2 ** -1 ** 2", "a ** b ** c", "(a + b) * c", "c * (a + b)", "((a)) == b",
    "- - x", "+x", "f((a), b + 1) / 2", "0 < x < 1 <= y", "ceil(592 GB / (80 GiB)) >= 1",
    "x * 2 B == 4 B", "a - b - c", "a / b / c",
])
def test_fast_parser_agrees_on_the_tricky_shapes(text: str) -> None:
    fast, slow = _both(text, True)
    assert fast is not None and fast == slow


@pytest.mark.parametrize("text", [
    'symbols("x")', "f(a, )", "f()", "(a, b)", "a != b", "not a", "a.b", "f(x=True)",
    "(" * 50 + "x" + ")" * 50 + " + " + " + ".join(["1"] * (MAX_DEPTH + 5)),
    "- " * (MAX_DEPTH + 5) + "x", "a ==", "a b",
])
def test_fast_parser_hands_over_what_it_does_not_read(text: str) -> None:
    assert _both(text, True)[0] is None


def test_fast_parser_agrees_on_every_statement_of_the_curriculum() -> None:
    statements = 0
    for page in sorted((REPO / "content").rglob("*.md")):
        for line in page.read_text(encoding="utf-8").splitlines():
            text = code_part(line).strip()
            if text and "=" in text and not text.startswith(("```", "!!!", "#", "-", "|")):
                for side in (text, text.partition("=")[2] if "==" not in text else text):
                    _agree(side)
                statements += 1
    assert statements > 500
