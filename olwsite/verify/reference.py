"""The check-block language's reference, as Markdown, generated from the tables the
verifier itself uses (functions, constants, units, limits), so the two never disagree."""

from __future__ import annotations

from fractions import Fraction

from .ir import (
    CONSTANTS,
    FUNCTIONS,
    MAX_BITS,
    MAX_BLOCK_STATEMENTS,
    MAX_DEPTH,
    MAX_STATEMENT_CHARS,
    SYMBOL_ASSUMPTIONS,
)
from .units import COUNT_SUFFIXES, UNITS, dim_name

_FUNCTION_DOCS: dict[str, tuple[str, str]] = {
    "ceil": ("ceil(x)", "smallest whole number ≥ x; x must be a plain number"),
    "floor": ("floor(x)", "largest whole number ≤ x"),
    "round": ("round(x, digits=0)", "nearest value at that many decimals, ties to even"),
    "sqrt": ("sqrt(x)", "square root; a unit's power is halved: sqrt(area) of GB² is GB"),
    "log": ("log(x) / log(x, b)", "natural logarithm, or logarithm to base b"),
    "log2": ("log2(x)", "logarithm to base 2"),
    "log10": ("log10(x)", "logarithm to base 10"),
    "exp": ("exp(x)", "e to the power x"),
    "min": ("min(a, b, …)", "smallest argument; all of the same dimension"),
    "max": ("max(a, b, …)", "largest argument; all of the same dimension"),
    "abs": ("abs(x)", "absolute value"),
    "symbols": ('x, D = symbols("x D", positive=True)',
                "names for symbolic work; keywords: "
                + ", ".join(f"`{k}=True`" for k in sorted(SYMBOL_ASSUMPTIONS))),
    "simplify": ("simplify(e)", "sympy's simplification"),
    "expand": ("expand(e)", "multiply out products and powers"),
    "factor": ("factor(e)", "factor a polynomial"),
    "integrate": ("integrate(f, x) / integrate(f, (x, a, b))",
                  "indefinite or definite integral; fails (E409) if sympy cannot do it"),
    "diff": ("diff(f, x) / diff(f, x, n)", "derivative, or n-th derivative"),
    "Sum": ("Sum(f, (k, a, b))", "the sum of f for k from a to b, evaluated"),
    "limit": ("limit(f, x, a)", "limit of f as x approaches a (a may be oo)"),
}


def language_reference() -> str:
    """Markdown for the site's reference page: statements, numbers, units, functions."""
    units = "\n".join(
        f"| `{u.name}` | {dim_name(u.dim)} | {_factor(u.factor)} |" for u in UNITS.values())
    functions = "\n".join(f"| `{call}` | {meaning} |"
                          for call, meaning in (_FUNCTION_DOCS[f] for f in FUNCTIONS))
    suffixes = ", ".join(f"`{s}` = {v:,}" for s, v in COUNT_SUFFIXES.items())
    limits = "\n".join(f"- {line}" for line in (
        f"a statement: {MAX_STATEMENT_CHARS:,} characters, brackets nested {MAX_DEPTH} deep",
        f"a check block: {MAX_BLOCK_STATEMENTS} statements",
        f"a number: about {int(MAX_BITS * 0.30103):,} digits; a power is refused before it is "
        "computed (`9**9**9`)",
        "a page: 5 seconds of evaluation by default (E408 at the statement running then)",
    ))
    return f"""\
A fenced block with info string `check` holds one statement a line; `#` starts a comment.

- **Binding** `name = expr`: visible to later statements and blocks of the same page.
  A page may not bind a name twice, nor a registry fact's or a built-in name.
- **Claims**: `a == b` (exact; symbolic sides must simplify to the same expression),
  `a < b`, `a <= b`, `a > b`, `a >= b` (chains like `0 < x < 1` work),
  and `a ≈ 84M` or `a ~= 84M`: the right side is a number as written, and the claim holds
  when `a` is within half a unit of its last written digit (`84M`: ±0.5M; `0.12%`:
  ±0.005%; `1.63`: ±0.005). `≈ 84M ± 5%` allows 5% of 84M instead; `≈ 140 GB ± 2 GB`
  allows 2 GB.
- **Numbers** are exact fractions read from their text (`0.1` is 1/10, never a float);
  `1e23` is allowed. A percent sign sticks to the number: `0.12%` is 0.0012. Count
  suffixes stick to the number too: {suffixes}.
- **Units** follow a number after a space (`2 B` is two bytes, `70B` is seventy billion),
  or stand alone in an expression (`need / GB`). Adding or comparing different dimensions
  is an error (E402); functions such as `ceil` and `log` need plain numbers, so divide
  first: `ceil(need / gpu_H100_80GB)`.
- Operators: `+ - * / **` and parentheses. Constants: {", ".join(f"`{c}`" for c in
                                                                  sorted(CONSTANTS))}.
- Inline numbers in prose: `{{= name | GB =}}`, `{{= share | %:2 =}}`, `{{= n =}}`;
  formats are a unit, a count suffix, `%` or nothing, optionally `:digits`.

| Unit | Dimension | Size |
|---|---|---|
{units}

| Function | Meaning |
|---|---|
{functions}

Limits (each ends in one diagnostic, and the build goes on):

{limits}
"""


def _factor(f: Fraction) -> str:
    """A unit's size in its base unit: 10^9, 2^30, 1/8, 3,600."""
    for base, step, label in ((1000, 3, "10"), (1024, 10, "2")):
        power, value = 0, f
        while value.denominator == 1 and value > 1 and value.numerator % base == 0:
            value, power = value / base, power + 1
        if value == 1 and power >= 1:
            return f"{label}^{step * power}"
    return str(f) if f.denominator != 1 else f"{f.numerator:,}"
