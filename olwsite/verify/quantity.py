"""Quantities: a magnitude in base units, a dimension, and the unit the author wrote.

A magnitude is an exact Fraction while it is rational (nearly always), and a sympy
expression only once something irrational or symbolic enters (sqrt, pi, symbols, ...).

Dimensions are checked on every operation so that bytes never meet seconds silently.
The unit hint only decides how a value is shown (140 GB, not 140000000000 B).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import TYPE_CHECKING, Union

from .formatting import Number, fmt_sig
from .units import DIMENSIONLESS, SCALE_LADDERS, UNITS, Dim, dim_symbol

if TYPE_CHECKING:
    import sympy as sp
else:
    from . import lazy_sympy as sp

_EVALF_DIGITS = 30
Mag = Union[Fraction, "sp.Expr"]


@dataclass(frozen=True)
class Q:
    mag: Mag
    dim: Dim = DIMENSIONLESS
    hint: str | None = None  # a unit name of the same dimension, for showing the value

    @property
    def symbolic(self) -> bool:
        return not isinstance(self.mag, Fraction) and bool(self.mag.free_symbols)


def to_sympy(mag: Mag) -> sp.Expr:
    return sp.Rational(mag.numerator, mag.denominator) if isinstance(mag, Fraction) else mag


def number(mag: Mag) -> Number | None:
    """A numeric magnitude as an exact Fraction, or a Decimal for irrational values."""
    if isinstance(mag, Fraction):
        return mag
    if mag.is_Rational:
        return Fraction(int(mag.p), int(mag.q))
    if mag.free_symbols or not mag.is_number or mag.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        return None
    value = mag.evalf(_EVALF_DIGITS)
    if not value.is_Float:  # a complex number or something evalf cannot reduce
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:  # an exponent beyond what Decimal holds (exp(-10**300))
        return None


def display_unit(q: Q, like: str | None = None) -> tuple[str, Fraction]:
    """The unit to show `q` in: `like` if it fits, else a readable unit of the author's family."""
    for candidate in (like, q.hint):
        if candidate is None or candidate not in UNITS or UNITS[candidate].dim != q.dim:
            continue
        unit = UNITS[candidate]
        ladder = SCALE_LADDERS.get(unit.family)
        if candidate == like or ladder is None:
            return unit.name, unit.factor
        return _best_on_ladder(q, ladder)
    if q.dim == UNITS["B"].dim:
        return _best_on_ladder(q, SCALE_LADDERS["bytes-si"])
    return dim_symbol(q.dim), Fraction(1)


def _best_on_ladder(q: Q, ladder: tuple[str, ...]) -> tuple[str, Fraction]:
    value = number(q.mag)
    best = UNITS[ladder[0]]
    if value is not None:
        for name in ladder:
            factor = UNITS[name].factor
            if isinstance(value, Fraction):
                big_enough = abs(value) >= factor
            else:
                big_enough = abs(value) >= _dec(factor)
            if big_enough:
                best = UNITS[name]
    return best.name, best.factor


def show(q: Q, like: str | None = None, sig: int = 6) -> str:
    """`q` for people: '140 GB', '83,886,080', 'D**2/12', 'sqrt(2) ≈ 1.41421'."""
    if q.dim == DIMENSIONLESS:
        unit, factor = "", Fraction(1)
    else:
        unit, factor = display_unit(q, like)
    value = number(q.mag)
    if value is None:
        text = str(sp.sstr(to_sympy(q.mag) / sp.Rational(factor.numerator, factor.denominator)))
    else:
        scaled = value / factor if isinstance(value, Fraction) else value / _dec(factor)
        text = fmt_sig(scaled, sig)
        if not isinstance(value, Fraction):
            text = f"{sp.sstr(q.mag / sp.Rational(factor.numerator, factor.denominator))} ≈ {text}"
    return f"{text} {unit}" if unit else text


def _dec(f: Fraction) -> Decimal:
    return Decimal(f.numerator) / Decimal(f.denominator)
