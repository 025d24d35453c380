"""Numbers as text: thousands separators, significant digits, inline formats. No sympy.

Values arrive as exact Fractions, or as Decimals for irrational results (evaluated to
about 30 digits by the evaluator), so rounding here is decimal rounding, never binary.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from fractions import Fraction

from .units import COUNT_SUFFIXES, UNITS

Number = Fraction | Decimal
_PRECISION = 60
_SCIENTIFIC_FROM = Decimal(10) ** 21  # beyond this, "6.02e23" reads better than 22 digits
MAX_FORMAT_DIGITS = 12


def to_decimal(v: Number) -> Decimal:
    if isinstance(v, Decimal):
        return v
    with localcontext(Context(prec=_PRECISION)):
        return Decimal(v.numerator) / Decimal(v.denominator)


def group(digits: str) -> str:
    """'83886080' -> '83,886,080' (the integer part of a plain decimal string)."""
    sign = "-" if digits.startswith("-") else ""
    digits = digits.lstrip("-")
    whole, dot, frac = digits.partition(".")
    whole = f"{int(whole):,}" if whole else "0"
    return f"{sign}{whole}{dot}{frac}"


def _plain(d: Decimal) -> str:
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s in ("-0", ""):
        s = "0"
    return group(s)


def _scientific(d: Decimal, sig: int) -> str:
    mantissa, _, exponent = f"{d:.{max(sig - 1, 0)}e}".partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def fmt_sig(v: Number, sig: int = 6) -> str:
    """At most `sig` significant digits, but never rounding away integer digits.

    Exact integers are shown whole: 83,886,080 (up to 10**21).
    """
    if isinstance(v, Fraction) and v.denominator == 1 and abs(v) < _SCIENTIFIC_FROM:
        return group(str(v.numerator))
    d = to_decimal(v)
    if d == 0:
        return "0"
    if abs(d) >= _SCIENTIFIC_FROM or abs(d) < Decimal("1e-9"):
        return _scientific(d, sig)
    decimals = max(sig - (d.adjusted() + 1), 0)
    with localcontext(Context(prec=_PRECISION)):
        q = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return _plain(q)


def fmt_fixed(v: Number, decimals: int) -> str:
    """Exactly `decimals` digits after the point, half away from zero."""
    d = to_decimal(v)
    if abs(d) >= _SCIENTIFIC_FROM:
        return _scientific(d, decimals + 1)
    with localcontext(Context(prec=_PRECISION)):
        q = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    s = format(q, "f")
    if q == 0 and s.startswith("-"):
        s = s[1:]
    return group(s)


@dataclass(frozen=True)
class Format:
    name: str  # "" plain, "%", a count suffix K M B T, or a unit name ("B" is either)
    decimals: int | None  # None: as few as needed, up to 3 significant digits

    def number(self, v: Number) -> str:
        return fmt_sig(v, 3) if self.decimals is None else fmt_fixed(v, self.decimals)


def parse_format(text: str) -> Format | str:
    """An inline format ("GB", "%:2", "M", ""), or an error message."""
    name, sep, digits = text.strip().partition(":")
    name, digits = name.strip(), digits.strip()
    decimals = None
    if sep:
        if not (digits.isascii() and digits.isdigit()) or int(digits) > MAX_FORMAT_DIGITS:
            return f"digits after ':' must be 0 to {MAX_FORMAT_DIGITS}, not '{digits}'"
        decimals = int(digits)
    if name in ("", "%") or name in COUNT_SUFFIXES or name in UNITS:
        return Format(name, decimals)
    known = ["%", *COUNT_SUFFIXES, *UNITS]
    lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(lower), n=1)
    tip = f"; did you mean '{lower[close[0]]}'?" if close else ""
    return f"unknown number format '{name}'{tip} (use a unit like GB, a count suffix K M B T, or %)"
