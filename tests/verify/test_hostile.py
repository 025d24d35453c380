"""Hostile content: nothing executes, nothing hangs, each attack ends in one diagnostic."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from olwsite.verify import CheckBlock, PageClaims, verify_pages
from olwsite.verify.parse import parse_statement

from .verify_support import page

TIMEOUT_S = 1.0


def attacks(sentinel: Path) -> dict[str, tuple[str, set[str]]]:
    """name -> (statements, the codes that may answer it). Each must give one diagnostic."""
    touch = f"touch {sentinel}"
    return {
        "mro-walk": ("a = ().__class__.__mro__[1].__subclasses__()", {"E404"}),
        "import": (f"a = __import__('os').system('{touch}')", {"E404"}),
        "import-claim": (f"__import__('os').system('{touch}') == 0", {"E404"}),
        "getattr": ("a = getattr(x, 'y')", {"E406"}),
        "eval": (f"a = eval(\"__import__('os').system('{touch}')\")", {"E406"}),
        "exec": (f"a = exec('{touch}')", {"E406"}),
        "open": (f"a = open('{sentinel}', 'w')", {"E406"}),
        "format-string": ('a = "{0.__class__}".format(1)', {"E404"}),
        "f-string": (f"a = f\"{{__import__('os').system('{touch}')}}\"", {"E404"}),
        "lambda": ("a = (lambda: 1)()", {"E404"}),
        "comprehension": ("a = [c for c in 'abc']", {"E404"}),
        "generator": ("a = sum(c for c in 'abc')", {"E404", "E406"}),
        "walrus": ("a = (b := 3)", {"E404"}),
        "starred": ("a = max(*[1, 2])", {"E404"}),
        "subscript": ("a = symbols('x')[0]", {"E404"}),
        "dunder-name": ("__builtins__ == 1", {"E404"}),
        "underscore": ("_x = 1", {"E404"}),
        "symbol-name-injection": (f"a = symbols(\"__import__('os').system('{touch}')\")",
                                  {"E403"}),
        "symbol-range-syntax": ("a = symbols('x:3')", {"E403"}),
        "string-escape": ('a = symbols("\\x41")', {"E404"}),
        "kwargs-unpacking": ("a = symbols('x', **{'positive': True})", {"E404"}),
        "bad-keyword": ("a = symbols('x', commutative=False)", {"E404"}),
        "if-expression": ("a = 1 if 2 else 3", {"E404"}),
        "bitwise": ("a = 1 << 100000", {"E404"}),
        "set-literal": ("a = {1, 2}", {"E404"}),
        "null-byte": ("a = 1\x00", {"E403"}),
        "power-tower": ("a = 9**9**9", {"E407"}),
        "power-of-power": ("a = (10**4000)**4000", {"E407"}),
        "rational-power": ("a = (10**4000)**(4000/3)", {"E407"}),
        "negative-power": ("a = 7**-(10**6)", {"E407"}),
        "symbolic-power": ("x = symbols('x')\ny = x**(10**10)", {"E407"}),
        "irrational-power": ("a = sqrt(2)**(10**7)", {"E407"}),
        "squaring-chain": ("a = 10**30000\nb = a * a * a", {"E407"}),
        "huge-exponent-literal": ("a = 1e999999", {"E407"}),
        "deep-parentheses": ("a = " + "(" * 150 + "1" + ")" * 150, {"E407"}),
        "deep-unary": ("a = " + "-" * 1500 + "1", {"E407"}),
        "long-sum": ("a = " + "+".join(["1"] * 600), {"E407"}),
        "megabyte-statement": ("a = " + "1 + " * 250_000 + "1", {"E407"}),
        "nested-100k": ("a = " + "(" * 100_000 + "1" + ")" * 100_000, {"E407"}),
        "slow-integral": ("x = symbols('x')\ny = integrate(exp(x**x**x), x)\ny == 1", {"E408"}),
        "slow-expand": ("x, y = symbols('x y')\nz = expand((x + y + 1)**150)", {"E408"}),
    }


@pytest.fixture(scope="module")
def sentinel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile") / "pwned"


@pytest.fixture(scope="module")
def outcome(sentinel: Path) -> tuple[dict[str, object], float]:
    texts = {name: text for name, (text, _) in attacks(sentinel).items()}
    started = time.perf_counter()
    verdicts, cache, _ = verify_pages({k: page(t) for k, t in texts.items()}, {}, {},
                                      timeout_s=TIMEOUT_S, jobs=2)
    return {"verdicts": verdicts, "cache": cache}, time.perf_counter() - started


def test_nothing_executes(outcome: tuple[dict[str, object], float], sentinel: Path) -> None:
    assert not sentinel.exists()


def test_all_attacks_end_quickly(outcome: tuple[dict[str, object], float]) -> None:
    # Two pages hang and are killed after TIMEOUT_S each, on two workers in parallel.
    assert outcome[1] < 10


@pytest.mark.parametrize("name", sorted(attacks(Path("/nonexistent"))))
def test_each_attack_gives_one_diagnostic(outcome: tuple[dict[str, object], float],
                                          sentinel: Path, name: str) -> None:
    verdicts = outcome[0]["verdicts"]
    assert isinstance(verdicts, dict)
    problems = verdicts[name].problems
    _, codes = attacks(sentinel)[name]
    assert len(problems) == 1, problems
    assert problems[0].code in codes, problems


def test_timed_out_pages_are_not_cached(outcome: tuple[dict[str, object], float]) -> None:
    cache = outcome[0]["cache"]
    assert isinstance(cache, dict)
    assert "slow-integral" not in cache and "mro-walk" in cache


def test_timeout_points_at_the_hanging_statement(outcome: tuple[dict[str, object], float]
                                                 ) -> None:
    verdicts = outcome[0]["verdicts"]
    assert isinstance(verdicts, dict)
    (problem,) = verdicts["slow-integral"].problems
    assert (problem.line, problem.col) == (11, 5)
    assert "longer than 1 s" in problem.message and "1 later claim(s)" in problem.message
    records = verdicts["slow-integral"].records
    assert [r.ok for r in records] == [True, False, False]


def test_parser_bounds_are_fast() -> None:
    for text in ["(" * 100_000 + "1" + ")" * 100_000, "a = " + "-" * 1990 + "1",
                 "a = " + "[" * 101 + "]" * 101, "x" * 1_000_000]:
        started = time.perf_counter()
        result = parse_statement(text)
        assert time.perf_counter() - started < 0.5
        assert result is not None and not isinstance(result, tuple)


def test_too_many_statements_in_a_block() -> None:
    text = "\n".join(f"a{i} = {i}" for i in range(205)) + "\nb = a204 + 1\nb == 205"
    verdicts, _, _ = verify_pages({"p": PageClaims((CheckBlock(text, 1, 1),))}, {}, {})
    problems = verdicts["p"].problems
    assert [(p.code, p.line) for p in problems] == [("E407", 201)]
