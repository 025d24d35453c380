"""Units and dimensions of the check language, in plain Python (no sympy).

A dimension is a tuple of exponents over the base dimensions; a unit is an exact factor
times a dimension. Kept free of sympy so the parent process can parse and resolve names
without importing it (a build where every page hits the cache never loads sympy).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

BASE_DIMENSIONS: tuple[str, ...] = ("bytes", "seconds", "USD", "FLOP")
# Singular forms for products like "byte·second".
_SINGULAR: dict[str, str] = {"bytes": "byte", "seconds": "second", "USD": "USD", "FLOP": "FLOP"}

Dim = tuple[Fraction, ...]
# One object per distinct dimension, so that comparing two (every + - and comparison
# does) finds identical exponents without calling Fraction.__eq__.
_CANONICAL: dict[Dim, Dim] = {}


def _canon(d: Dim) -> Dim:
    return _CANONICAL.setdefault(d, d)


DIMENSIONLESS: Dim = _canon(tuple(Fraction(0) for _ in BASE_DIMENSIONS))


def base_dim(name: str) -> Dim:
    return _canon(tuple(Fraction(1 if b == name else 0) for b in BASE_DIMENSIONS))


def dim_mul(a: Dim, b: Dim) -> Dim:
    if b is DIMENSIONLESS:
        return a
    if a is DIMENSIONLESS:
        return b
    return _canon(tuple(x + y for x, y in zip(a, b, strict=True)))


def dim_div(a: Dim, b: Dim) -> Dim:
    if b is DIMENSIONLESS:
        return a
    return _canon(tuple(x - y for x, y in zip(a, b, strict=True)))


def dim_pow(a: Dim, e: Fraction) -> Dim:
    if a is DIMENSIONLESS:
        return a
    return _canon(tuple(x * e for x in a))


def _power_text(name: str, e: Fraction) -> str:
    return name if e == 1 else f"{name}^{e}" if e.denominator == 1 else f"{name}^({e})"


def dim_name(d: Dim) -> str:
    """Words for a dimension, as messages show it: 'bytes', 'bytes/second', 'a plain number'."""
    if d == DIMENSIONLESS:
        return "a plain number"
    num = [(n, e) for n, e in zip(BASE_DIMENSIONS, d, strict=True) if e > 0]
    den = [(n, -e) for n, e in zip(BASE_DIMENSIONS, d, strict=True) if e < 0]
    if not den and len(num) == 1:
        return _power_text(num[0][0], num[0][1])
    top = "·".join(_power_text(_SINGULAR[n], e) for n, e in num) or "1"
    if not den:
        return top
    bottom = "·".join(_power_text(_SINGULAR[n], e) for n, e in den)
    return f"{top}/{bottom}"


def dim_symbol(d: Dim) -> str:
    """Unit symbols for a dimension in base units: 'B', 'B/s', 'B^2'."""
    symbols = {"bytes": "B", "seconds": "s", "USD": "USD", "FLOP": "FLOP"}
    num = [(symbols[n], e) for n, e in zip(BASE_DIMENSIONS, d, strict=True) if e > 0]
    den = [(symbols[n], -e) for n, e in zip(BASE_DIMENSIONS, d, strict=True) if e < 0]
    top = "*".join(_power_text(n, e) for n, e in num) or "1"
    if not den:
        return top
    return top + "/" + "*".join(_power_text(n, e) for n, e in den)


@dataclass(frozen=True)
class Unit:
    name: str
    factor: Fraction  # in base units: GB -> 10**9 bytes
    dim: Dim
    family: str  # units of one family may replace each other when showing a value


def _units() -> dict[str, Unit]:
    byte, sec = base_dim("bytes"), base_dim("seconds")
    table = [Unit("B", Fraction(1), byte, "bytes-si"), Unit("bit", Fraction(1, 8), byte, "bit")]
    for k, prefix in enumerate(("K", "M", "G", "T"), start=1):
        table.append(Unit(f"{prefix}B", Fraction(1000**k), byte, "bytes-si"))
        table.append(Unit(f"{prefix}iB", Fraction(1024**k), byte, "bytes-iec"))
    table += [
        Unit("ms", Fraction(1, 1000), sec, "time"),
        Unit("s", Fraction(1), sec, "time"),
        Unit("min", Fraction(60), sec, "time"),
        Unit("h", Fraction(3600), sec, "time"),
        Unit("day", Fraction(86400), sec, "time"),
        Unit("USD", Fraction(1), base_dim("USD"), "USD"),
        Unit("FLOP", Fraction(1), base_dim("FLOP"), "FLOP"),
    ]
    return {u.name: u for u in table}


UNITS: dict[str, Unit] = _units()

# Scaling ladders used to show a byte value in a readable unit of the family the author used.
SCALE_LADDERS: dict[str, tuple[str, ...]] = {
    "bytes-si": ("B", "KB", "MB", "GB", "TB"),
    "bytes-iec": ("B", "KiB", "MiB", "GiB", "TiB"),
}

# Count suffixes stuck to a number: 70B is seventy billion.
COUNT_SUFFIXES: dict[str, int] = {"K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}
