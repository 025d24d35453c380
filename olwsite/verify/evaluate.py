"""Evaluate a page's planned statements, in order, in one namespace: in exact Fractions
while values stay rational, with sympy once something irrational or symbolic enters.

Runs inside a worker process (see runner.py): nothing here bounds wall-clock time, but
every power is size-checked before sympy computes it, so `9**9**9` ends in a diagnostic
rather than in an out-of-memory kill. The only sympy objects built are ours: Rational from
integers, Symbol from validated names, and the functions of a fixed table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from .analyze import PagePlan, PlannedInline, PlannedStatement
from .formatting import Format, fmt_sig
from .ir import (
    MAX_BITS,
    Approx,
    Bin,
    Binding,
    Bool,
    Call,
    Compare,
    Lit,
    Node,
    Ref,
    Str,
    Tup,
    Unary,
    Written,
)
from .model import ClaimProblem, ClaimRecord, Event
from .quantity import Mag, Q, display_unit, number, show, to_sympy
from .units import (
    COUNT_SUFFIXES,
    DIMENSIONLESS,
    UNITS,
    dim_div,
    dim_mul,
    dim_name,
    dim_pow,
)

if TYPE_CHECKING:
    import sympy as sp
else:
    from . import lazy_sympy as sp  # plain arithmetic never imports sympy

MAX_DIFF_ORDER = 100
_DIGITS_PER_BIT = math.log10(2)
_SOURCE_CHARS = 300  # records show at most this much of a statement


class EvalError(Exception):
    def __init__(self, code: str, node: Node | None, message: str, hint: str | None = None):
        super().__init__(message)
        self.code, self.node, self.message, self.hint = code, node, message, hint


class DependsOnError(Exception):
    """The statement reads a name whose own statement failed: report nothing more."""


def _rat(f: Fraction) -> sp.Rational:
    return sp.Rational(f.numerator, f.denominator)


def _whole(mag: Mag) -> int | None:
    """The value as an int if it is a whole number, else None."""
    if isinstance(mag, Fraction):
        return int(mag) if mag.denominator == 1 else None
    return int(mag) if mag.is_Integer else None


def _arith(op: str, x: Mag, y: Mag) -> Mag:
    """x op y, in Fractions when both are exact (results are identical to sympy's)."""
    if not (isinstance(x, Fraction) and isinstance(y, Fraction)):
        x, y = to_sympy(x), to_sympy(y)
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    return x / y


def _bits(mag: Mag) -> float:
    """log2 of the largest integer (numerator or denominator) in an expression."""
    if isinstance(mag, Fraction):
        return max(math.log2(abs(mag.numerator)) if mag.numerator else 0.0,
                   math.log2(mag.denominator), 1.0)
    if mag.is_Rational:
        return max(math.log2(abs(int(mag.p))) if mag.p else 0.0, math.log2(int(mag.q)), 1.0)
    atoms = mag.atoms(sp.Rational)
    return max((_bits(a) for a in atoms), default=1.0)


class Evaluator:
    def __init__(self, facts: Mapping[str, Written | str]) -> None:
        self.facts = facts
        self.ns: dict[str, Q | None] = {}  # None: bound by a statement that failed
        self.text = ""  # the statement being evaluated, for quoting its parts
        self.source = ""  # the same without comment, for records

    def src(self, node: Node) -> str:
        return self.text[node.start:node.end].strip()

    # expressions -------------------------------------------------------------------------

    def value(self, node: Node) -> Q:
        q = self._value(node)
        self._check(q, node)
        return q

    def _value(self, node: Node) -> Q:
        if isinstance(node, Lit):
            if node.unit is None:
                return Q(node.value)
            unit = UNITS[node.unit]
            return Q(node.value * unit.factor, unit.dim, unit.name)
        if isinstance(node, Ref):
            return self._ref(node)
        if isinstance(node, Unary):
            q = self.value(node.operand)
            return Q(-q.mag, q.dim, q.hint) if node.op == "-" else q
        if isinstance(node, Bin):
            return self._binary(node)
        if isinstance(node, Call):
            return self._call(node)
        assert isinstance(node, Str | Tup | Bool)
        raise EvalError("E404", node, f"'{self.src(node)}' is not a value")

    def _ref(self, node: Ref) -> Q:
        name = node.name
        if name in self.ns:
            q = self.ns[name]
            if q is None:
                raise DependsOnError(name)
            return q
        if name in self.facts:
            fact = self.facts[name]
            if isinstance(fact, str):
                raise EvalError("E409", node, f"the registry fact '{name}' has an invalid value: "
                                f"{fact}", "fix the fact in the registry")
            hint = fact.unit if fact.unit in UNITS else None
            return Q(fact.value, fact.dim, hint)
        if name in UNITS:
            unit = UNITS[name]
            return Q(unit.factor, unit.dim, unit.name)
        if name in ("pi", "E", "oo"):
            return Q(getattr(sp, name))
        raise EvalError("E405", node, f"unknown name '{name}'")

    def _binary(self, node: Bin) -> Q:
        a, b = self.value(node.left), self.value(node.right)
        if node.op in ("+", "-"):
            if a.dim != b.dim:
                verb = f"add {dim_name(a.dim)} and {dim_name(b.dim)}" if node.op == "+" else \
                    f"subtract {dim_name(b.dim)} from {dim_name(a.dim)}"
                raise EvalError("E402", node, f"cannot {verb}: {self.src(node)}")
            return Q(_arith(node.op, a.mag, b.mag), a.dim, a.hint or b.hint)
        if node.op == "*":
            return Q(_arith("*", a.mag, b.mag), dim_mul(a.dim, b.dim), _product_hint(a, b))
        if node.op == "/":
            if (b.mag == 0) if isinstance(b.mag, Fraction) else b.mag.is_zero:
                raise EvalError("E409", node, f"division by zero: {self.src(node)}")
            hint = a.hint if b.dim == DIMENSIONLESS else None
            return Q(_arith("/", a.mag, b.mag), dim_div(a.dim, b.dim), hint)
        return self._power(node, a, b)

    def _power(self, node: Bin, base: Q, exp: Q) -> Q:
        if exp.dim != DIMENSIONLESS:
            raise EvalError("E402", node.right, f"an exponent must be a plain number, not "
                            f"{dim_name(exp.dim)}: {self.src(node)}")
        dim = DIMENSIONLESS
        if base.dim != DIMENSIONLESS:
            if not (isinstance(exp.mag, Fraction) or exp.mag.is_Rational):
                raise EvalError("E402", node, f"{dim_name(base.dim)} can only be raised to a "
                                f"fixed number: {self.src(node)}")
            dim = dim_pow(base.dim, number(exp.mag))  # type: ignore[arg-type]
        hint = base.hint if exp.mag == 1 else None
        if (isinstance(base.mag, Fraction) and isinstance(exp.mag, Fraction)
                and exp.mag.denominator == 1):
            self._guard_power(node, base.mag, exp.mag)
            if base.mag == 0 and exp.mag < 0:
                raise EvalError("E409", node, f"division by zero: {self.src(node)}")
            return Q(base.mag ** int(exp.mag), dim, hint)
        b, e = to_sympy(base.mag), to_sympy(exp.mag)
        self._guard_power(node, b, e)
        if b.is_zero and e.is_negative:
            raise EvalError("E409", node, f"division by zero: {self.src(node)}")
        return Q(b ** e, dim, hint)

    def _guard_power(self, node: Node, base: Mag, exp: Mag) -> None:
        """Refuse a power whose result would be huge, before sympy tries to build it."""
        if isinstance(base, Fraction) and isinstance(exp, Fraction):
            if abs(base) in (0, 1):
                return
            self._refuse_huge(node, float(abs(exp)) * _bits(base), symbolic=False)
            return
        base, exp = to_sympy(base), to_sympy(exp)
        if base.is_Rational and abs(base) in (0, 1):
            return
        if exp.free_symbols or not exp.is_number:
            return  # stays an unevaluated power
        if exp.is_Rational:
            size = abs(Fraction(int(exp.p), int(exp.q)))
        else:
            try:
                size = abs(Fraction(str(sp.Abs(exp).evalf(15))))
            except (ValueError, TypeError):
                raise EvalError("E409", node, f"cannot size the exponent of {self.src(node)}") \
                    from None
        self._refuse_huge(node, float(size) * _bits(base), symbolic=bool(base.free_symbols))

    def _refuse_huge(self, node: Node, estimate: float, symbolic: bool) -> None:
        if estimate > MAX_BITS and symbolic:
            raise EvalError("E407", node, f"{self.src(node)} is too large: a symbolic power's "
                            f"exponent may be at most about {MAX_BITS:,}")
        if estimate > MAX_BITS:
            digits = f"{estimate * _DIGITS_PER_BIT:,.0f}" if estimate < 1e18 else \
                f"{estimate * _DIGITS_PER_BIT:.2g}"
            raise EvalError("E407", node, f"{self.src(node)} is too large: about {digits} "
                            f"digits (the limit is about {MAX_BITS * _DIGITS_PER_BIT:,.0f})",
                            "check the exponent; worked examples never need numbers this big")

    def _check(self, q: Q, node: Node) -> None:
        mag = q.mag
        if isinstance(mag, Fraction):
            if _bits(mag) > MAX_BITS:
                raise EvalError("E407", node, f"{self.src(node)} is too large: more than about "
                                f"{MAX_BITS * _DIGITS_PER_BIT:,.0f} digits")
            return
        if mag.has(sp.zoo, sp.nan):
            raise EvalError("E409", node, f"{self.src(node)} is undefined (a division by zero?)")
        if _bits(mag) > MAX_BITS:
            raise EvalError("E407", node, f"{self.src(node)} is too large: more than about "
                            f"{MAX_BITS * _DIGITS_PER_BIT:,.0f} digits")
        if mag.is_number and mag.is_extended_real is False:
            raise EvalError("E409", node, f"{self.src(node)} is not a real number")

    # functions ---------------------------------------------------------------------------

    def _plain(self, func: str, node: Node) -> Mag:
        q = self.value(node)
        if q.dim != DIMENSIONLESS:
            raise EvalError("E402", node, f"{func}() needs a plain number, not "
                            f"{dim_name(q.dim)}: {self.src(node)}",
                            "divide by a unit first, e.g. ceil(need / gpu)")
        return q.mag

    def _symbol(self, node: Node) -> sp.Symbol:
        q = self.value(node)
        if isinstance(q.mag, Fraction) or not isinstance(q.mag, sp.Symbol):
            raise EvalError("E409", node, f"'{self.src(node)}' must be a symbol",
                            "bind it first: x = symbols(\"x\")")
        return q.mag

    def _limits(self, node: Node) -> sp.Symbol | tuple[sp.Symbol, sp.Expr, sp.Expr]:
        if isinstance(node, Tup):
            var, low, high = node.items
            return (self._symbol(var), to_sympy(self._plain("a limit", low)),
                    to_sympy(self._plain("a limit", high)))
        return self._symbol(node)

    def _call(self, node: Call) -> Q:
        f, args = node.func, node.args
        if f in ("ceil", "floor"):
            x = self._plain(f, args[0])
            if isinstance(x, Fraction):
                return Q(Fraction(math.ceil(x) if f == "ceil" else math.floor(x)))
            return Q(sp.ceiling(x) if f == "ceil" else sp.floor(x))
        one = {"exp": sp.exp, "log2": lambda x: sp.log(x, 2),
               "log10": lambda x: sp.log(x, 10)}
        if f in one:
            return Q(one[f](to_sympy(self._plain(f, args[0]))))
        if f == "log":
            return Q(sp.log(*(to_sympy(self._plain(f, a)) for a in args)))
        if f == "round":
            return Q(self._round(node))
        if f in ("sqrt", "abs", "simplify", "expand", "factor"):
            q = self.value(args[0])
            if f == "sqrt":
                return Q(sp.sqrt(to_sympy(q.mag)), dim_pow(q.dim, Fraction(1, 2)))
            if isinstance(q.mag, Fraction):  # simplify, expand, factor: a rational stays
                return Q(abs(q.mag) if f == "abs" else q.mag, q.dim, q.hint)
            fn: Callable[[sp.Expr], sp.Expr] = {
                "abs": sp.Abs, "simplify": sp.simplify, "expand": sp.expand,
                "factor": sp.factor}[f]
            return Q(fn(q.mag), q.dim, q.hint)
        if f in ("min", "max"):
            qs = [self.value(a) for a in args]
            for a, q in zip(args[1:], qs[1:], strict=True):
                if q.dim != qs[0].dim:
                    raise EvalError("E402", a, f"{f}() cannot compare {dim_name(qs[0].dim)} "
                                    f"with {dim_name(q.dim)}")
            if all(isinstance(q.mag, Fraction) for q in qs):
                pick = min if f == "min" else max
                return Q(pick(q.mag for q in qs), qs[0].dim, qs[0].hint)
            agg = sp.Min if f == "min" else sp.Max
            return Q(agg(*(to_sympy(q.mag) for q in qs)), qs[0].dim, qs[0].hint)
        if f == "diff":
            q = self.value(args[0])
            order = 1
            if len(args) == 3:
                n = _whole(self._plain(f, args[2]))
                if n is None or not 1 <= n <= MAX_DIFF_ORDER:
                    raise EvalError("E407", args[2], f"the order of diff() must be a whole "
                                    f"number from 1 to {MAX_DIFF_ORDER}")
                order = n
            return Q(sp.diff(to_sympy(q.mag), self._symbol(args[1]), order), q.dim)
        if f in ("integrate", "Sum", "limit"):
            return self._calculus(node)
        raise EvalError("E406", node, f"unknown function '{f}'")

    def _round(self, node: Call) -> Fraction:
        mag = self._plain("round", node.args[0])
        digits = 0
        if len(node.args) == 2:
            d = _whole(self._plain("round", node.args[1]))
            if d is None or abs(d) > 100:
                raise EvalError("E409", node.args[1], "round()'s digits must be a whole number "
                                "from -100 to 100")
            digits = d
        value = number(mag)
        if value is None:
            raise EvalError("E409", node, f"round() needs a number: {self.src(node)}")
        # Ties to even, like Python's round(); exact for rationals.
        if isinstance(value, Decimal):
            whole = int(value.scaleb(digits).to_integral_value(ROUND_HALF_EVEN))
        else:
            whole = round(value * Fraction(10) ** digits)
        return Fraction(whole) / Fraction(10) ** digits

    def _calculus(self, node: Call) -> Q:
        f, args = node.func, node.args
        body = self.value(args[0])
        mag = to_sympy(body.mag)
        if f == "integrate":
            result = sp.integrate(mag, *(self._limits(a) for a in args[1:]))
            unevaluated = result.has(sp.Integral)
        elif f == "Sum":
            if not isinstance(args[1], Tup):
                raise EvalError("E403", args[1], "Sum needs limits: Sum(f, (k, 1, n))")
            limits = self._limits(args[1])
            result = sp.Sum(mag, limits).doit()
            unevaluated = result.has(sp.Sum)
        else:
            result = sp.limit(mag, self._symbol(args[1]), to_sympy(self._plain(f, args[2])))
            unevaluated = result.has(sp.Limit)
        if unevaluated:
            raise EvalError("E409", node, f"sympy could not evaluate {self.src(node)}",
                            "simplify the expression, or state the result without a proof")
        return Q(result, body.dim)

    # statements --------------------------------------------------------------------------

    def statement(self, st: PlannedStatement) -> tuple[ClaimProblem | None, ClaimRecord]:
        self.text, self.source = st.text, st.source
        body = st.body
        kind = "binding" if isinstance(body, Binding) or st.binds else "assertion"
        source = st.source if len(st.source) <= _SOURCE_CHARS else st.source[:_SOURCE_CHARS] + "…"
        if body is None:
            self._poison(st.binds)
            return None, ClaimRecord(st.line, source, kind, False, f"{source}  (not checked)")
        try:
            if isinstance(body, Binding):
                shown = self._binding(body)
            elif isinstance(body, Compare):
                shown = self._compare(body)
            else:
                assert isinstance(body, Approx)
                shown = self._approx(body)
            return None, ClaimRecord(st.line, source, kind, True, shown)
        except DependsOnError as dep:
            self._poison(st.binds)
            return None, ClaimRecord(st.line, source, kind, False,
                                     f"{source}  (not checked: '{dep}' has an error)")
        except EvalError as err:
            self._poison(st.binds)
            offset = err.node.start if err.node is not None else len(st.text) - \
                len(st.text.lstrip())
            problem = ClaimProblem(st.line, st.col + offset, err.code, err.message, err.hint)
            shown = err.message if err.code == "E401" else f"{source}  ({err.message})"
            return problem, ClaimRecord(st.line, source, kind, False, shown)
        except (RecursionError, MemoryError):
            self._poison(st.binds)
            return self._fail(st, source, kind, "E407", "evaluating this statement ran out of "
                              "memory or recursion depth")
        except Exception as exc:  # sympy may raise anything on content we accepted
            self._poison(st.binds)
            detail = f"{type(exc).__name__}: {exc}"[:200]
            return self._fail(st, source, kind, "E409", f"sympy could not evaluate this "
                              f"statement ({detail})")

    def _fail(self, st: PlannedStatement, source: str, kind: str, code: str,
              message: str) -> tuple[ClaimProblem, ClaimRecord]:
        offset = len(st.text) - len(st.text.lstrip())
        return (ClaimProblem(st.line, st.col + offset, code, message),
                ClaimRecord(st.line, source, kind, False, f"{source}  ({message})"))

    def _poison(self, names: tuple[str, ...]) -> None:
        for n in names:
            self.ns.setdefault(n, None)

    def _binding(self, body: Binding) -> str:
        expr = body.expr
        if isinstance(expr, Call) and expr.func == "symbols":
            assert isinstance(expr.args[0], Str)
            assumptions = {k: v.value for k, v in expr.kwargs if isinstance(v, Bool)}
            names = [s for s in expr.args[0].text.replace(",", " ").split() if s]
            for target, name in zip(body.names, names, strict=True):
                self.ns[target] = Q(sp.Symbol(name, **assumptions))
            return self.source
        q = self.value(expr)
        shown = f"{body.names[0]} = {show(q)}"  # before binding: showing can fail too
        self.ns[body.names[0]] = q
        return shown

    def _compare(self, body: Compare) -> str:
        qs = [self.value(o) for o in body.operands]
        for k, op in enumerate(body.ops):
            a, b = qs[k], qs[k + 1]
            na, nb = body.operands[k], body.operands[k + 1]
            if a.dim != b.dim:
                raise EvalError("E402", nb, f"cannot compare {dim_name(a.dim)} with "
                                f"{dim_name(b.dim)}: {self.src(na)} {op} {self.src(nb)}")
            if not self._holds(op, a, b, na, nb):
                said = self.src(nb)
                if not isinstance(nb, Lit):
                    said += f" (= {show(b)})"
                diff = Q(sp.simplify(_arith("-", a.mag, b.mag)) if a.symbolic or b.symbolic
                         else _arith("-", a.mag, b.mag), a.dim, b.hint or a.hint)
                raise EvalError("E401", na, f"claim does not hold: {self.src(na)} = "
                                f"{show(a, b.hint)}, text says {op} {said} (difference "
                                f"{show(diff, b.hint)})")
        # Show the first computed operand (`x` in `0 < x < 1`), in the unit of the last one.
        first = next((q for o, q in zip(body.operands, qs, strict=True)
                      if not isinstance(o, Lit)), qs[0])
        return f"{self.source}  (computed {show(first, qs[-1].hint)})"

    def _holds(self, op: str, a: Q, b: Q, na: Node, nb: Node) -> bool:
        if isinstance(a.mag, Fraction) and isinstance(b.mag, Fraction):
            order = (a.mag > b.mag) - (a.mag < b.mag)
            return {"==": order == 0, "<": order < 0, "<=": order <= 0, ">": order > 0,
                    ">=": order >= 0}[op]
        x, y = to_sympy(a.mag), to_sympy(b.mag)
        if x == y:  # also settles oo == oo, where the difference is undefined
            return op in ("==", "<=", ">=")
        diff = x - y
        if op == "==":
            return _is_zero(diff)
        sign = _sign(diff)
        if sign is None:
            raise EvalError("E409", na, f"cannot decide whether {self.src(na)} {op} "
                            f"{self.src(nb)}", "give the symbols assumptions, e.g. positive=True")
        return {"<": sign < 0, "<=": sign <= 0, ">": sign > 0, ">=": sign >= 0}[op]

    def _approx(self, body: Approx) -> str:
        q = self.value(body.lhs)
        w = body.written
        lhs = self.src(body.lhs)
        if q.symbolic:
            raise EvalError("E409", body.lhs, f"'≈' needs a number, but {lhs} is symbolic: "
                            f"{sp.sstr(q.mag)}", "use '==' for symbolic claims")
        if q.dim != w.dim:
            raise EvalError("E402", body.lhs, f"cannot compare {dim_name(q.dim)} with "
                            f"{dim_name(w.dim)}: {lhs} ≈ {w.text}")
        tol = body.tolerance
        if tol is None:
            allowed = w.half
        elif tol.suffix == "%":
            allowed = abs(w.value) * tol.value
        else:
            if tol.dim != w.dim:
                raise EvalError("E402", body.lhs, f"the tolerance is {dim_name(tol.dim)} but "
                                f"the value is {dim_name(w.dim)}: ± {tol.text}")
            allowed = abs(tol.value)
        diff = _arith("-", q.mag, w.value)
        if isinstance(diff, Fraction):
            excess = abs(diff) - allowed
            margin: int | None = (excess > 0) - (excess < 0)
        else:
            margin = _sign(sp.Abs(diff) - _rat(allowed))
        computed = _in_written_scale(q.mag, w)
        said = w.text + (f" ± {tol.text}" if tol else "")
        if margin is None or margin > 0:
            raise EvalError(
                "E401", body.lhs,
                f"claim does not hold: {lhs} = {computed}, text says ≈ {said} (difference "
                f"{_in_written_scale(diff, w)}; allowed ±{_in_written_scale(allowed, w)})")
        return f"{lhs} ≈ {said}  (computed {computed})"

    # inline numbers ----------------------------------------------------------------------

    def inline(self, ref: PlannedInline) -> tuple[str, ClaimProblem | None]:
        self.text = ref.text
        if ref.expr is None or ref.fmt is None:
            return "", None
        try:
            return _render(self.value(ref.expr), ref.fmt, self.src(ref.expr)), None
        except DependsOnError:
            return "", None
        except EvalError as err:
            return "", ClaimProblem(ref.line, ref.col, "E410",
                                    f"inline number '{ref.text.strip()}': {err.message}", err.hint)
        except Exception as exc:  # as for statements: content must not crash the build
            return "", ClaimProblem(ref.line, ref.col, "E410",
                                    f"inline number '{ref.text.strip()}' could not be evaluated "
                                    f"({type(exc).__name__})")


def _product_hint(a: Q, b: Q) -> str | None:
    if b.dim == DIMENSIONLESS:
        return a.hint
    if a.dim == DIMENSIONLESS:
        return b.hint
    return None


def _numeric_sign(diff: sp.Expr) -> int | None:
    """The sign of a constant by evaluating it to 50 digits; None when evalf cannot tell it
    from zero. evalf tracks its own error: a value it cannot separate from zero comes back
    as a Float like 0.e-160 with almost no precision. Much faster than asking the
    assumptions system about an irrational difference."""
    value = diff.evalf(50)
    if value in (sp.oo, -sp.oo):
        return 1 if value == sp.oo else -1
    if value.is_Float and value != 0 and value._prec >= 100:  # 50 digits are ~166 bits
        return 1 if value > 0 else -1
    return None


def _is_zero(diff: sp.Expr) -> bool:
    if diff.is_Rational:
        return bool(diff == 0)
    if not diff.free_symbols and diff.is_number and _numeric_sign(diff) is not None:
        return False
    simplified = sp.simplify(diff)
    if simplified == 0 or simplified.is_zero:
        return True
    if simplified.is_zero is False:
        return False
    return bool(simplified.equals(0))


def _sign(diff: sp.Expr) -> int | None:
    """-1, 0 or 1, or None when sympy cannot tell (a symbolic expression without assumptions)."""
    if diff.is_Rational:
        return 1 if diff.p > 0 else -1 if diff.p < 0 else 0
    if not diff.free_symbols and diff.is_number:
        sign = _numeric_sign(diff)
        if sign is not None:
            return sign
        return 0 if _is_zero(diff) else None
    if diff.is_zero:
        return 0
    if diff.is_extended_positive:
        return 1
    if diff.is_extended_negative:
        return -1
    return None


def _in_written_scale(mag: Mag, w: Written) -> str:
    """A value in the style of the written number: '83,886,080', '0.11984%', '83.886 GB'."""
    value = number(mag)
    if value is None:
        return str(sp.sstr(mag))
    if w.suffix == "%":
        return fmt_sig(value * 100, 6) + "%"
    if w.unit:
        return f"{fmt_sig(_div(value, w.scale), 6)} {w.unit}"
    return fmt_sig(value, 6)


def _render(q: Q, fmt: Format, source: str) -> str:
    name = fmt.name
    if name == "B" and q.dim == UNITS["B"].dim:
        kind = "unit"
    elif name in COUNT_SUFFIXES or name == "%":
        kind = "count"
    else:
        kind = "unit" if name else "plain"
    if kind == "plain" and q.symbolic:
        return str(sp.sstr(q.mag))
    value = number(q.mag)
    if value is None:
        raise EvalError("E410", None, f"{sp.sstr(q.mag)} is not a number that can be shown as "
                        f"'{name or 'plain'}'")
    if kind == "plain":
        if q.dim == DIMENSIONLESS:
            return fmt.number(value)
        unit, factor = display_unit(q)
        return f"{fmt.number(_div(value, factor))} {unit}"
    if kind == "count":
        if q.dim != DIMENSIONLESS:
            raise EvalError("E410", None, f"'{source}' is {dim_name(q.dim)}, not a plain number, "
                            f"so it cannot be shown with '{name}'")
        if name == "%":
            return fmt.number(value * 100) + "%"
        return fmt.number(_div(value, Fraction(COUNT_SUFFIXES[name]))) + name
    target = UNITS[name]
    if q.dim != target.dim:
        raise EvalError("E410", None, f"'{source}' is {dim_name(q.dim)}, so it cannot be shown "
                        f"in {name} ({dim_name(target.dim)})")
    return f"{fmt.number(_div(value, target.factor))} {name}"


def _div(value: Fraction | Decimal, factor: Fraction) -> Fraction | Decimal:
    if isinstance(value, Fraction):
        return value / factor
    return value / (Decimal(factor.numerator) / Decimal(factor.denominator))


def iter_page(plan: PagePlan, facts: Mapping[str, Written | str]) -> Iterator[Event]:
    """Evaluate a plan, announcing each statement before it starts (for timeouts)."""
    ev = Evaluator(facts)
    for st in plan.statements:
        yield Event("begin", st.line, st.col + len(st.text) - len(st.text.lstrip()))
        problem, record = ev.statement(st)
        yield Event("statement", st.line, st.col, problem, record)
    for ref in plan.inline:
        yield Event("begin", ref.line, ref.col)
        text, problem = ev.inline(ref)
        yield Event("inline", ref.line, ref.col, problem, None, text)


def evaluate_page(plan: PagePlan, facts: Mapping[str, Written | str]
                  ) -> tuple[list[ClaimProblem], list[ClaimRecord], list[str]]:
    """All of a page's results in this process (no timeout): for tests and the worker."""
    problems: list[ClaimProblem] = []
    records: list[ClaimRecord] = []
    inline: list[str] = []
    for event in iter_page(plan, facts):
        if event.problem is not None:
            problems.append(event.problem)
        if event.record is not None:
            records.append(event.record)
        if event.kind == "inline":
            inline.append(event.text)
    return problems, records, inline
