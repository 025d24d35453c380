"""Tables of true and false claims, with the exact diagnostics each false one gets."""

from __future__ import annotations

import pytest

from olwsite.diagnostics import REGISTRY
from olwsite.verify import PageVerdict

from .verify_support import COL, FIRST_LINE, verify_one, verify_texts

TRUE_CLAIMS: dict[str, str] = {
    "tiny-value": "v = exp(E - 1e300)\nv > 0\nv < 1e-300",
    "zero-only-simplify-proves": "log(8) / log(2) == 3\nlog(8) / log(2) >= 3\n"
                                 "log(8) / log(2) <= 3\nlog(8) / log(2) < 3.0001",
    "guide-example": "params = 70B\nfp16 = params * 2 B\nfp16 == 140 GB\n"
                     "lora = 2 * 64 * 8192 * 80\nlora ≈ 84M\nlora / 70B ≈ 0.12%",
    "exercise-answer": "need = 70B * 2 B\nceil(need / gpu_RTX4090) == 6",
    "gib-gpu": "gpu = 80 GiB\nceil(140 GB / gpu) == 2",
    "gib-fact": "ceil(140 GB / gpu_H100_80GB) == 2\nceil(140 GB / gpu_H200) == 1",
    "exact-decimals": "0.1 + 0.2 == 0.3\n1/3 + 1/6 == 0.5",
    "byte-units": "1 KiB == 1024 B\n1 GB == 1000 MB\n8 bit == 1 B\n1 TiB == 1024 GiB",
    "time-units": "1 day == 24 h\n90 min == 1.5 h\n1500 ms == 1.5 s",
    "money-compute": "cost = 2 USD / h * 10 h\ncost == 20 USD\n"
                     "flops = 6 FLOP * 70B * 2T\nflops ≈ 8.4e23 FLOP",
    "bandwidth": "bw = 3.35 TB / s\nt = 140 GB / bw\nt ≈ 41.8 ms\nt < 1 s",
    "approx-digit": "163/100 + 4/1000 ≈ 1.63\n1.635 ≈ 1.63\n0.12% ≈ 0.1%",
    "approx-tolerance": "80M ≈ 84M ± 5%\n141 GB ≈ 140 GB ± 2 GB\n-3 ≈ -2.9 ± 0.1",
    "fact-bytes": "70B * bytes_int4 == 35 GB\nllama2_70b_params * bytes_fp16 == 140 GB",
    "functions": "log2(1024) == 10\nlog(E) == 1\nlog10(1000) == 3\nexp(0) == 1\nmax(2, 3) == 3\n"
                 "min(1 GB, 1 GiB) == 1 GB\nabs(-3) == 3\nfloor(7 / 2) == 3\n"
                 "round(2.5) == 2\nround(3.14159, 2) == 3.14\nlog(8, 2) == 3\nsqrt(16) == 4",
    "irrational": "pi > 3.14\npi < 3.15\nsqrt(2) ≈ 1.414\nE ≈ 2.718\nsqrt(8) == 2 * sqrt(2)",
    "chain": "0 < 0.12% < 1\n1 <= 1 <= 2",
    "quantity-powers": "area = (4 GB)**2\nsqrt(area) == 4 GB\nGB**2 / GB == GB",
    "mse-proof": 'x, D = symbols("x D", positive=True)\nmse = integrate(x**2, (x, -D/2, D/2)) / D\n'
                 "mse == D**2 / 12\nD**2 / 12 < D**2 / 6",
    "calculus": 'x = symbols("x", real=True)\nn, k = symbols("n k", integer=True, positive=True)\n'
                "diff(x**3, x) == 3*x**2\ndiff(x**3, x, 2) == 6*x\n"
                "Sum(k, (k, 1, n)) == n*(n + 1)/2\nlimit(1/x, x, oo) == 0\n"
                "expand((x + 1)**2) == x**2 + 2*x + 1\nfactor(x**2 - 1) == (x - 1)*(x + 1)\n"
                "simplify((x**2 - 1)/(x - 1)) == x + 1\nintegrate(exp(-x), (x, 0, oo)) == 1",
    "unit-name-as-variable": "h = 32\nh * 2 == 64\nt = 2 h\nt == 7200 s",
    "comments-and-blanks": "# a comment\n\na = 2   # trailing\n  b = a * 3\nb == 6",
}


@pytest.fixture(scope="module")
def true_verdicts() -> dict[str, PageVerdict]:
    return verify_texts(TRUE_CLAIMS)


@pytest.mark.parametrize("name", sorted(TRUE_CLAIMS))
def test_true_claims_pass(true_verdicts: dict[str, PageVerdict], name: str) -> None:
    verdict = true_verdicts[name]
    assert verdict.problems == ()
    assert verdict.records and all(r.ok for r in verdict.records)


# (statements, [(code, line index, column offset, [message fragments], hint fragment)])
FALSE_CLAIMS: dict[str, tuple[str, list[tuple[str, int, int, list[str], str | None]]]] = {
    "approx-wrong": ("2*64*8192*80 ≈ 48M", [("E401", 0, 0, [
        "claim does not hold: 2*64*8192*80 = 83,886,080, text says ≈ 48M "
        "(difference 35,886,080; allowed ±500,000)"], None)]),
    "approx-bound-name": ("lora = 2 * 64 * 8192 * 80\nlora ≈ 83M", [("E401", 1, 0, [
        "lora = 83,886,080", "text says ≈ 83M", "difference 886,080"], None)]),
    "approx-percent": ("1198/1000000 ≈ 0.13%", [("E401", 0, 0, [
        "= 0.1198%", "text says ≈ 0.13%", "allowed ±0.005%"], None)]),
    "approx-last-digit": ("1.636 ≈ 1.63", [("E401", 0, 0, ["1.636", "≈ 1.63"], None)]),
    "approx-tolerance": ("79M ≈ 84M ± 5%", [("E401", 0, 0, ["≈ 84M ± 5%"], None)]),
    "gib-is-not-gb": ("80 GiB == 80 GB", [("E401", 0, 0, [
        "80 GiB = 85.8993 GB", "text says == 80 GB", "difference 5.89935 GB"], None)]),
    "gib-gpu-count": ("gpu = 80 GiB\nceil(180 GB / gpu) == 2", [("E401", 1, 0, [
        "ceil(180 GB / gpu) = 3", "text says == 2"], None)]),
    "mse-wrong": ('x, D = symbols("x D", positive=True)\n'
                  "mse = integrate(x**2, (x, -D/2, D/2)) / D\nmse == D**2 / 6",
                  [("E401", 2, 0, ["mse = D**2/12", "text says == D**2 / 6",
                                   "difference -D**2/12"], None)]),
    "ordered-false": ("pi < 3", [("E401", 0, 0, ["pi = pi ≈ 3.14159", "text says < 3"], None)]),
    "add-bytes-seconds": ("x = 2 B + 3 s", [("E402", 0, 4, [
        "cannot add bytes and seconds: 2 B + 3 s"], None)]),
    "count-vs-bytes": ("70B == 70 B", [("E402", 0, 7, [
        "cannot compare a plain number with bytes"], None)]),
    "ceil-of-bytes": ("ceil(2 GB) == 2", [("E402", 0, 5, [
        "ceil() needs a plain number, not bytes"], "divide by a unit")]),
    "approx-dimension": ("x = 3 s\nx ≈ 3 GB", [("E402", 1, 0, [
        "cannot compare seconds with bytes"], None)]),
    "exponent-with-unit": ("x = 2 ** (3 s)", [("E402", 0, 10, ["exponent must be a plain number"],
                                              None)]),
    "syntax-trailing-op": ("x = 1 +", [("E403", 0, 7, ["syntax error"], None)]),
    "stuck-unit": ("x = 70KB", [("E403", 0, 6, ["write '70 KB'"], "count suffix")]),
    "stuck-name": ("x = 2x", [("E403", 0, 5, ["cannot be followed directly by 'x'"], "2 * x")]),
    "unclosed": ("x = (1 + 2", [("E403", 0, 4, ["'(' is never closed"], None)]),
    "states-nothing": ("1 + 1", [("E403", 0, 0, ["states nothing"], "binding")]),
    "approx-of-expression": ("x = 2\nx ≈ x", [("E403", 1, 4, ["expected a number"], "'=='")]),
    "lookalike": ("x = 2 × 3", [("E403", 0, 6, ["unexpected character '×'"], "'*'")]),
    "attribute": ("a = 1\nb = a.real", [("E404", 1, 4, ["attribute access"], None)]),
    "modulo": ("a = 7 % 2", [("E404", 0, 4, ["modulo"], None)]),
    "floordiv": ("a = 7 // 2", [("E404", 0, 4, ["floor(a / b)"], None)]),
    "unknown-name": ("params = 1\ny = parms * 2", [("E405", 1, 4, ["unknown name 'parms'"],
                                                   "did you mean 'params'?")]),
    "unknown-fact-typo": ("y = gpu_RTX4900 * 2", [("E405", 0, 4, ["'gpu_RTX4900'"],
                                                   "did you mean 'gpu_RTX4090'?")]),
    "forward-reference": ("y = z + 1\nz = 2", [("E405", 0, 4, ["unknown name 'z'"],
                                             "bound later, on line 11")]),
    "unknown-function": ("y = ceill(2.5)", [("E406", 0, 4, ["unknown function 'ceill'"],
                                             "did you mean 'ceil'?")]),
    "value-called": ("a = 2\ny = a(3)", [("E406", 1, 4, ["'a' is a value, not a function"],
                                         None)]),
    "arity": ("y = ceil(1, 2)", [("E403", 0, 4, ["ceil() takes 1 argument(s), got 2"], None)]),
    "power-tower": ("y = 9**9**9", [("E407", 0, 4, ["too large", "369,693,100 digits"], None)]),
    "power-of-power": ("y = (10**4000)**4000", [("E407", 0, 4, ["too large"], None)]),
    "cannot-integrate": ('x = symbols("x")\ny = integrate(x**x, x)', [("E409", 1, 4, [
        "sympy could not evaluate integrate(x**x, x)"], None)]),
    "division-by-zero": ("y = 1 / (2 - 2)", [("E409", 0, 4, ["division by zero"], None)]),
    "undecidable": ('x = symbols("x")\nx > 0', [("E409", 1, 0, ["cannot decide whether x > 0"],
                                                 "positive=True")]),
    "approx-symbolic": ('x = symbols("x")\nx ≈ 2', [("E409", 1, 0, ["'≈' needs a number"],
                                                   None)]),
    "shadow-fact": ("gpu_H200 = 3", [("E411", 0, 0, ["'gpu_H200' is a registry fact"], None)]),
    "rebinding": ("a = 1\na = 2", [("E411", 1, 0, ["'a' is already bound on line 10"], None)]),
    "builtin-name": ("pi = 3", [("E411", 0, 0, ["'pi' is a built-in name"], None)]),
    "one-problem-per-root-cause": ("a = 2 B + 3 s\nb = a * 2\nb == 4\nc = b + 1", [
        ("E402", 0, 4, ["cannot add bytes and seconds"], None)]),
    "later-statements-still-checked": ("a = 2 B + 3 s\n1 == 2\nzz = 1\nzz == 1", [
        ("E402", 0, 4, ["cannot add"], None), ("E401", 1, 0, ["1 = 1, text says == 2"], None)]),
    "indented-statement": ("a = 1\n   a == 2", [("E401", 1, 3, ["a = 1, text says == 2"], None)]),
}


@pytest.fixture(scope="module")
def false_verdicts() -> dict[str, PageVerdict]:
    return verify_texts({k: v[0] for k, v in FALSE_CLAIMS.items()})


@pytest.mark.parametrize("name", sorted(FALSE_CLAIMS))
def test_false_claims_diagnostics(false_verdicts: dict[str, PageVerdict], name: str) -> None:
    verdict = false_verdicts[name]
    expected = FALSE_CLAIMS[name][1]
    got = [(p.code, p.line, p.col) for p in verdict.problems]
    assert got == [(code, FIRST_LINE + i, COL + off) for code, i, off, _, _ in expected], \
        verdict.problems
    for problem, (_, _, _, fragments, hint) in zip(verdict.problems, expected, strict=True):
        assert problem.code in REGISTRY
        for fragment in fragments:
            assert fragment in problem.message
        if hint is not None:
            assert problem.hint is not None and hint in problem.hint


def test_failed_claims_are_records_not_ok(false_verdicts: dict[str, PageVerdict]) -> None:
    records = false_verdicts["approx-bound-name"].records
    assert [r.ok for r in records] == [True, False]
    assert records[1].kind == "assertion" and records[0].kind == "binding"


def test_names_carry_over_between_blocks() -> None:
    from olwsite.verify import CheckBlock, PageClaims, verify_pages

    claims = PageClaims((CheckBlock("a = 3 GB", 5, 1), CheckBlock("b = a * 2\nb == 6 GB", 20, 5)))
    verdicts, _, _ = verify_pages({"p": claims}, {}, {})
    assert verdicts["p"].problems == ()
    assert [r.line for r in verdicts["p"].records] == [5, 20, 21]


def test_uniform_quantization_mse() -> None:
    proof = ('x, D = symbols("x D", positive=True)\n'
             "mse = integrate(x**2, (x, -D/2, D/2)) / D\n")
    assert verify_one(proof + "mse == D**2 / 12").problems == ()
    wrong = verify_one(proof + "mse == D**2 / 6").problems
    assert [(p.code, p.line) for p in wrong] == [("E401", FIRST_LINE + 2)]


def test_gb_is_not_gib() -> None:
    assert [p.code for p in verify_one("80 GiB == 80 GB").problems] == ["E401"]
    assert verify_one("gpu = 80 GiB\nceil(140 GB / gpu) == 2").problems == ()


def test_bad_fact_value_is_reported_where_used() -> None:
    verdict = verify_one("y = broken * 2", facts={"broken": "80 GiBs"})
    assert [(p.code, p.col) for p in verdict.problems] == [("E409", COL + 4)]
    assert "registry fact 'broken' has an invalid value" in verdict.problems[0].message
