"""Exact rationals are an optimisation only: a page evaluated with Fractions gives the
same records, problems and inline numbers, character for character, as the same page
evaluated with every value a sympy Rational (how every value was held before)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from olwsite.verify import CheckBlock, InlineRef, PageClaims, runner
from olwsite.verify.analyze import analyze_page
from olwsite.verify.ir import Node
from olwsite.verify.parse import parse_written
from olwsite.verify.quantity import Q, to_sympy

runner.warm_up()  # imports sympy and the evaluator once for this test module
from olwsite.verify import evaluate  # noqa: E402

FACTS = {"gpu": "80 GiB", "params": "70B", "bw": "3.35 TB/s"}
NUMBERS = ["0", "1", "2", "3", "7", "12", "0.5", "1.5", "70B", "84M", "12%", "2 B", "80 GiB",
           "16 GB", "3 s", "1e3"]
NAMES = ["a", "b", "gpu", "params", "bw"]


class AllSympy(evaluate.Evaluator):
    """Every value a sympy expression, as before exact rationals."""

    def _value(self, node: Node) -> Q:
        q = super()._value(node)
        return Q(to_sympy(q.mag), q.dim, q.hint)


def _expr(draw: Any, depth: int = 0) -> str:
    if depth > 2 or draw(st.booleans()):
        return draw(st.sampled_from(NUMBERS + NAMES))
    kind = draw(st.sampled_from(["bin", "bin", "call", "neg", "pow", "paren"]))
    if kind == "bin":
        op = draw(st.sampled_from(["+", "-", "*", "/"]))
        return f"{_expr(draw, depth + 1)} {op} {_expr(draw, depth + 1)}"
    if kind == "call":
        func = draw(st.sampled_from(["ceil", "floor", "round", "abs", "min", "max"]))
        args = [_expr(draw, depth + 1)]
        if func in ("min", "max") or (func == "round" and draw(st.booleans())):
            args.append(draw(st.sampled_from(["0", "1", "2", "-1"])) if func == "round"
                        else _expr(draw, depth + 1))
        return f"{func}({', '.join(args)})"
    if kind == "neg":
        return f"-{_expr(draw, depth + 1)}"
    if kind == "pow":
        exponent = draw(st.sampled_from(["2", "3", "-1", "0", "0.5"]))
        return f"({_expr(draw, depth + 1)}) ** {exponent}"
    return f"({_expr(draw, depth + 1)})"


@st.composite
def pages(draw: Any) -> PageClaims:
    lines = [f"a = {_expr(draw)}", f"b = {_expr(draw)}"]
    for _ in range(draw(st.integers(1, 4))):
        left, right = _expr(draw), _expr(draw)
        shape = draw(st.sampled_from(["==", "<", ">=", "≈", "≈±"]))
        if shape == "≈":
            lines.append(f"{left} ≈ {draw(st.sampled_from(NUMBERS))}")
        elif shape == "≈±":
            lines.append(f"{left} ≈ {draw(st.sampled_from(NUMBERS))} ± 10%")
        else:
            lines.append(f"{left} {shape} {right}")
    fmt = draw(st.sampled_from(["", "GB", "K", "%", ":2", "GiB:1"]))
    return PageClaims((CheckBlock("\n".join(lines), 3, 1),), (InlineRef(1, 1, "a", fmt),))


def _evaluate(claims: PageClaims, evaluator: type[evaluate.Evaluator],
              monkeypatch: pytest.MonkeyPatch) -> Any:
    facts = {}
    for name, text in FACTS.items():
        written = parse_written(text)
        assert not isinstance(written, Exception) and hasattr(written, "value")
        facts[name] = written
    with monkeypatch.context() as m:
        m.setattr(evaluate, "Evaluator", evaluator)
        return evaluate.evaluate_page(analyze_page(claims, frozenset(FACTS)), facts)


@settings(max_examples=300, deadline=None)
@given(pages())
def test_exact_rationals_agree_with_sympy(claims: PageClaims) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        exact = _evaluate(claims, evaluate.Evaluator, monkeypatch)
        symbolic = _evaluate(claims, AllSympy, monkeypatch)
    assert exact == symbolic


def test_plain_arithmetic_stays_exact_and_irrational_values_use_sympy() -> None:
    ev = evaluate.Evaluator({})
    plan = analyze_page(PageClaims((CheckBlock("x = 2 * 3 / 4\ny = sqrt(2)", 1, 1),)), ())
    for st_ in plan.statements:
        ev.statement(st_)
    assert type(ev.ns["x"].mag).__name__ == "Fraction"  # type: ignore[union-attr]
    assert type(ev.ns["y"].mag).__name__ == "Pow"  # type: ignore[union-attr]
