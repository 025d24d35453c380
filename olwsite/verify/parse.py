"""Statements to IR: own tokens -> Python text with placeholders -> `ast.parse` -> whitelist.

Content never reaches eval/exec/compile/sympify. Every number, string and name becomes a
placeholder (`_N3`, `_S4`, `_V5`) in the rebuilt Python text, which content cannot forge:
the lexer rejects names starting with '_'. The rebuilt text is pure ASCII, so ast's byte
offsets are character offsets, and Python's identifier normalisation never renames a name.
"""

from __future__ import annotations

import ast
import bisect
import re
from fractions import Fraction
from typing import Any

from .ir import (
    MAX_DEPTH,
    MAX_STATEMENT_CHARS,
    Approx,
    Bin,
    Binding,
    Body,
    Bool,
    Call,
    Compare,
    Lit,
    Node,
    Problem,
    Ref,
    Str,
    Tup,
    Unary,
    Written,
    body_nodes,
    walk,
)
from .lexer import KEYWORDS, Token, depth_at, lex
from .units import DIMENSIONLESS, UNITS, dim_div, dim_mul

_BIN_OPS: dict[type[ast.operator], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_BIN_REJECTS: dict[type[ast.operator], str] = {
    ast.Mod: "'%' must stick to a number (0.12%); the modulo operator is not supported",
    ast.FloorDiv: "'//' is not supported; write floor(a / b)",
    ast.MatMult: "'@' is not supported",
}
_CMP_OPS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_REJECTS: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access ('.') is not allowed",
    ast.Subscript: "indexing ('[...]') is not allowed",
    ast.Slice: "slices are not allowed",
    ast.Lambda: "lambda expressions are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.Starred: "'*' unpacking is not allowed",
    ast.NamedExpr: "':=' is not allowed",
    ast.IfExp: "conditional expressions ('a if c else b') are not allowed",
    ast.BoolOp: "'and' / 'or' are not supported",
    ast.List: "lists are not allowed",
    ast.Set: "sets are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
}
_PLACEHOLDER = re.compile(r"_([NSV])(\d+)")
_SENTENCE = "a check statement is a binding (name = expr) or a claim (expr == expr, expr ≈ 84M, …)"


def _syntax(offset: int, message: str, hint: str | None = None) -> _ParseError:
    return _ParseError(Problem("E403", offset, message, hint))


class _ParseError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class _Source:
    """Python text rebuilt from tokens, with the way back to statement offsets."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        parts: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        pos = 0
        for idx, t in enumerate(tokens):
            if t.kind == "num":
                s = f"_N{idx}"
            elif t.kind == "str":
                s = f"_S{idx}"
            elif t.kind == "name":
                s = t.text if t.text in KEYWORDS else f"_V{idx}"
            elif t.kind == "op":
                s = t.text
            else:
                problem = Problem("E403", t.start, f"'{t.text}' is not allowed here", _SENTENCE)
                raise _ParseError(problem)
            parts.append(s)
            self.starts.append(pos)
            self.ends.append(pos + len(s))
            pos += len(s) + 1
        self.text = " ".join(parts)

    def start_of(self, py_offset: int) -> int:
        i = max(bisect.bisect_right(self.starts, py_offset) - 1, 0)
        return self.tokens[i].start if self.tokens else 0

    def end_of(self, py_end: int) -> int:
        i = max(bisect.bisect_right(self.ends, py_end) - 1, 0)
        return self.tokens[i].end if self.tokens else 0

    def token(self, placeholder: str) -> Token:
        return self.tokens[int(placeholder[2:])]

    def unplace(self, message: str) -> str:
        return _PLACEHOLDER.sub(lambda m: self.tokens[int(m.group(2))].text, message)


class _Builder:
    def __init__(self, src: _Source) -> None:
        self.src = src
        self.depth = 0  # bounded, so the recursive walk never nears Python's recursion limit

    def span(self, node: ast.expr) -> tuple[int, int]:
        return self.src.start_of(node.col_offset), self.src.end_of(node.end_col_offset or 0)

    def reject(self, node: ast.AST, message: str, hint: str | None = None) -> _ParseError:
        offset = getattr(node, "col_offset", 0)
        return _ParseError(Problem("E404", self.src.start_of(offset), message, hint))

    def expr(self, node: ast.expr, *, arg: bool = False, kwarg: bool = False) -> Node:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _ParseError(Problem("E407", 0, f"expression nests deeper than {MAX_DEPTH} "
                                          "levels", "split it into named steps"))
            return self._expr(node, arg, kwarg)
        finally:
            self.depth -= 1

    def _expr(self, node: ast.expr, arg: bool, kwarg: bool) -> Node:
        start, end = self.span(node)
        if isinstance(node, ast.Name):
            tag, tok = node.id[:2], None
            if tag in ("_N", "_S", "_V"):
                tok = self.src.token(node.id)
            if tok is None:
                raise self.reject(node, f"'{node.id}' is not allowed here")
            if tag == "_N":
                return Lit(tok.value, tok.unit, start, end)
            if tag == "_S":
                if not arg:
                    raise self.reject(node, "strings are only allowed as the names in "
                                      "symbols(\"x y\")")
                return Str(tok.text[1:-1], start, end)
            return Ref(tok.text, start, end)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) and kwarg:
                return Bool(node.value, start, end)
            if isinstance(node.value, bool):
                raise self.reject(node, "True and False are only allowed in "
                                  "symbols(..., positive=True)")
            raise self.reject(node, f"'{self.src.unplace(ast.unparse(node))}' is not allowed")
        if isinstance(node, ast.BinOp):
            op = _BIN_OPS.get(type(node.op))
            if op is None:
                msg = _BIN_REJECTS.get(type(node.op), "bitwise operators are not supported")
                raise self.reject(node, msg)
            return Bin(op, self.expr(node.left), self.expr(node.right), start, end)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub | ast.UAdd):
                op = "-" if isinstance(node.op, ast.USub) else "+"
                return Unary(op, self.expr(node.operand), start, end)
            raise self.reject(node, "'not' and '~' are not supported")
        if isinstance(node, ast.Call):
            return self.call(node, start, end)
        if isinstance(node, ast.Tuple) and arg:
            return Tup(tuple(self.expr(e) for e in node.elts), start, end)
        if isinstance(node, ast.Tuple):
            raise self.reject(node, "tuples are only allowed as the limits of integrate or Sum",
                              "write integrate(f, (x, 0, 1))")
        if isinstance(node, ast.Compare):
            raise self.reject(node, "a comparison is only allowed as a whole claim, not inside "
                              "an expression")
        raise self.reject(node, _REJECTS.get(type(node), f"'{type(node).__name__}' is not allowed"))

    def call(self, node: ast.Call, start: int, end: int) -> Call:
        if not isinstance(node.func, ast.Name) or not node.func.id.startswith("_V"):
            if isinstance(node.func, ast.Attribute | ast.Subscript | ast.Lambda):
                self.expr(node.func)  # raises its own, more precise rejection
            raise self.reject(node, "only functions from the table can be called, by name")
        func = self.src.token(node.func.id).text
        args = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise self.reject(a, "'*' unpacking is not allowed")
            args.append(self.expr(a, arg=True))
        kwargs = []
        for k in node.keywords:
            if k.arg is None:
                raise self.reject(k.value, "'**' unpacking is not allowed")
            if not isinstance(k.value, ast.Constant) or not isinstance(k.value.value, bool):
                raise self.reject(k.value, "keyword arguments take True or False",
                                  "symbols(\"x\", positive=True)")
            name = self.src.token(k.arg).text if k.arg.startswith("_V") else k.arg
            kwargs.append((name, self.expr(k.value, kwarg=True)))
        func_end = self.src.end_of(node.func.end_col_offset or 0)
        return Call(func, tuple(args), tuple(kwargs), start, end, func_end)


class _DeferError(Exception):
    """The fast parser met something it does not handle: the full parser decides."""


_ADDITIVE = frozenset({"+", "-"})
_MULTIPLICATIVE = frozenset({"*", "/"})
_COMPARISONS = frozenset(_CMP_OPS.values())


class _FastParser:
    """Recursive descent over our tokens for the statements nearly every page writes:
    numbers, names, + - * / **, unary signs, brackets and calls with positional arguments,
    compared with == < <= > >=. Builds the same IR, with the same spans, as the `ast`
    route, about five times faster; anything else (strings, tuples, keywords, keyword
    arguments, any error) raises _DeferError, and the `ast` route parses the statement and
    words its diagnostics."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens, self.i, self.nesting = tokens, 0, 0

    def parse(self, allow_compare: bool) -> Node | Compare:
        first, _, height = self.arith()
        if self.i < len(self.tokens) and self._op() in _COMPARISONS and allow_compare:
            ops, operands = [], [first]
            while self.i < len(self.tokens) and self._op() in _COMPARISONS:
                ops.append(self.tokens[self.i].text)
                self.i += 1
                operand, _, h = self.arith()
                operands.append(operand)
                height = max(height, h)
            first = Compare(tuple(ops), tuple(operands))  # type: ignore[assignment]
        if self.i != len(self.tokens) or height > MAX_DEPTH:
            raise _DeferError
        return first

    def _op(self) -> str:
        t = self.tokens[self.i]
        return t.text if t.kind == "op" else ""

    def _binary(self, ops: frozenset[str], operand: Any) -> tuple[Node, int, int]:
        """A left-associative chain: (node, index of its first token, tree height)."""
        left, first, height = operand()
        while self.i < len(self.tokens) and self._op() in ops:
            op = self.tokens[self.i].text
            self.i += 1
            right, _, h = operand()
            height = max(height, h) + 1
            left = Bin(op, left, right, self.tokens[first].start, self.tokens[self.i - 1].end)
        return left, first, height

    def arith(self) -> tuple[Node, int, int]:
        return self._binary(_ADDITIVE, self.term)

    def term(self) -> tuple[Node, int, int]:
        return self._binary(_MULTIPLICATIVE, self.factor)

    def factor(self) -> tuple[Node, int, int]:
        if self.i < len(self.tokens) and self._op() in _ADDITIVE:
            first = self.i
            self.i += 1
            self._deeper()
            operand, _, height = self.factor()
            self.nesting -= 1
            return (Unary(self.tokens[first].text, operand, self.tokens[first].start,
                          self.tokens[self.i - 1].end), first, height + 1)
        return self.power()

    def power(self) -> tuple[Node, int, int]:
        base, first, height = self.atom()
        if self.i < len(self.tokens) and self._op() == "**":
            self.i += 1
            self._deeper()
            exponent, _, h = self.factor()
            self.nesting -= 1
            return (Bin("**", base, exponent, self.tokens[first].start,
                        self.tokens[self.i - 1].end), first, max(height, h) + 1)
        return base, first, height

    def atom(self) -> tuple[Node, int, int]:
        if self.i >= len(self.tokens):
            raise _DeferError
        first = self.i
        t = self.tokens[first]
        self.i += 1
        if t.kind == "num":
            return Lit(t.value, t.unit, t.start, t.end), first, 1
        if t.kind == "name" and t.text not in KEYWORDS:
            if self.i < len(self.tokens) and self._op() == "(":
                return self.call(t, first)
            return Ref(t.text, t.start, t.end), first, 1
        if t.kind == "op" and t.text == "(":
            self._deeper()
            inner, _, height = self.arith()
            self.nesting -= 1
            self.expect(")")
            return inner, first, height
        raise _DeferError

    def call(self, name: Token, first: int) -> tuple[Node, int, int]:
        self.i += 1  # "("
        args: list[Node] = []
        height = 0
        while True:
            self._deeper()
            arg, _, h = self.arith()
            self.nesting -= 1
            args.append(arg)
            height = max(height, h)
            if self._op() != ",":
                break
            self.i += 1
        self.expect(")")
        return (Call(name.text, tuple(args), (), name.start, self.tokens[self.i - 1].end,
                     name.end), first, height + 1)

    def expect(self, op: str) -> None:
        if self.i >= len(self.tokens) or self._op() != op:
            raise _DeferError
        self.i += 1

    def _deeper(self) -> None:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise _DeferError


def _parse_python(tokens: list[Token], allow_compare: bool) -> Node | Compare:
    try:
        return _FastParser(tokens).parse(allow_compare)
    except (_DeferError, IndexError):
        return _parse_with_ast(tokens, allow_compare)


def _parse_with_ast(tokens: list[Token], allow_compare: bool) -> Node | Compare:
    src = _Source(tokens)
    try:
        tree = ast.parse(src.text, mode="eval")
    except SyntaxError as exc:
        at = src.start_of((exc.offset or 1) - 1) if exc.offset and exc.offset <= len(src.text) \
            else (tokens[-1].end if tokens else 0)
        raise _syntax(at, f"syntax error: {src.unplace(exc.msg)}") from None
    except (RecursionError, MemoryError, ValueError):
        raise _ParseError(Problem("E407", 0, "statement is too complex to parse",
                              "split it into named steps")) from None
    builder = _Builder(src)
    body = tree.body
    if allow_compare and isinstance(body, ast.Compare):
        ops = []
        for op in body.ops:
            if type(op) not in _CMP_OPS:
                msg = "'!=' claims are not supported" if isinstance(op, ast.NotEq) else \
                    "'in' / 'is' are not supported"
                raise builder.reject(body, msg)
            ops.append(_CMP_OPS[type(op)])
        operands = tuple(builder.expr(e) for e in [body.left, *body.comparators])
        return Compare(tuple(ops), operands)
    return builder.expr(body)


def _written(
    tokens: list[Token], text: str, allow_tolerance: bool
) -> tuple[Written, Written | None]:
    what = "a number as written, like 84M, 0.12% or 140 GB"
    if not tokens:
        raise _syntax(len(text), f"expected {what}")
    i, sign = 0, 1
    if tokens[0].kind == "op" and tokens[0].text in "+-":
        sign, i = (-1 if tokens[0].text == "-" else 1), 1
    if i >= len(tokens) or tokens[i].kind != "num":
        at = tokens[i].start if i < len(tokens) else len(text)
        raise _syntax(at, f"expected {what}",
                              "'≈' compares with a written number; use '==' for an expression")
    num = tokens[i]
    i += 1
    units: list[tuple[str, str]] = [("*", num.unit)] if num.unit else []
    while (i + 1 < len(tokens) and tokens[i].kind == "op" and tokens[i].text in ("*", "/")
           and tokens[i + 1].kind == "name" and tokens[i + 1].text in UNITS):
        units.append((tokens[i].text, tokens[i + 1].text))
        i += 2
    tolerance = None
    end = tokens[i - 1].end
    if i < len(tokens):
        if tokens[i].kind == "pm" and allow_tolerance:
            tolerance, _ = _written(tokens[i + 1:], text, False)
        else:
            hint = "a tolerance is written '≈ 84M ± 5%'" if tokens[i].kind == "pm" else None
            raise _syntax(tokens[i].start,
                                  f"unexpected '{tokens[i].text}' after the written number", hint)
    scale, dim = Fraction(1), DIMENSIONLESS
    unit_text = ""
    for op, name in units:
        u = UNITS[name]
        scale, dim = (scale * u.factor, dim_mul(dim, u.dim)) if op == "*" else \
            (scale / u.factor, dim_div(dim, u.dim))
        unit_text += (name if op == "*" and not unit_text else f"{op}{name}")
    if unit_text.startswith("/"):
        unit_text = "1" + unit_text
    written = Written(sign * num.value * scale, num.digit * scale / 2, dim, unit_text, scale,
                      num.suffix, text[tokens[0].start:end], tokens[0].start, end)
    return written, tolerance


def _split(tokens: list[Token], depths: list[int], kind: str, text: str = "") -> list[int]:
    return [i for i, t in enumerate(tokens)
            if depths[i] == 0 and t.kind == kind and (not text or t.text == text)]


def _binding(tokens: list[Token], eq: int, text: str) -> Binding:
    lhs = tokens[:eq]
    names: list[str] = []
    for k, t in enumerate(lhs):
        want_name = k % 2 == 0
        if want_name and (t.kind != "name" or t.text in KEYWORDS):
            raise _syntax(t.start, "the left side of '=' must be a name",
                                  "use '==' to claim that two values are equal")
        if not want_name and not (t.kind == "op" and t.text == ","):
            raise _syntax(t.start, "the left side of '=' must be a name",
                                  "use '==' to claim that two values are equal")
        if want_name:
            names.append(t.text)
    if not names:
        at = tokens[eq].start
        raise _syntax(at, "'=' needs a name on its left")
    rhs = tokens[eq + 1:]
    if not rhs:
        raise _syntax(tokens[eq].end, "'=' needs an expression on its right")
    expr = _parse_python(rhs, allow_compare=False)
    assert not isinstance(expr, Compare)
    is_symbols = isinstance(expr, Call) and expr.func == "symbols"
    if len(names) > 1 and not is_symbols:
        raise _syntax(lhs[0].start,
                              "only symbols(...) can bind several names at once")
    if is_symbols:
        assert isinstance(expr, Call)
        _check_symbols(expr, names)
    return Binding(tuple(names), expr)


def symbol_names(text: str) -> list[str]:
    return [s for s in re.split(r"[\s,]+", text) if s]


def _check_symbols(call: Call, names: list[str]) -> None:
    if len(call.args) != 1 or not isinstance(call.args[0], Str):
        raise _syntax(call.start, "symbols takes one string of names",
                              "x, D = symbols(\"x D\", positive=True)")
    arg = call.args[0]
    wanted = symbol_names(arg.text)
    for w in wanted:
        if not w.isidentifier() or w.startswith("_") or w in KEYWORDS:
            raise _syntax(arg.start, f"'{w}' is not a valid symbol name")
    if len(wanted) != len(names):
        raise _syntax(arg.start,
                              f"symbols names {len(wanted)} symbol(s) but {len(names)} name(s) "
                              "are bound")


def _reject_nested_symbols(nodes: list[Node]) -> None:
    for n in nodes:
        if isinstance(n, Call) and n.func == "symbols":
            raise _ParseError(Problem("E404", n.start,
                                  "symbols(...) can only be bound by itself: x = symbols(\"x\")"))


def is_symbols_call(node: Node) -> bool:
    return isinstance(node, Call) and node.func == "symbols"


def _too_long(text: str) -> Problem | None:
    if len(text) > MAX_STATEMENT_CHARS:
        return Problem("E407", 0, f"statement is {len(text):,} characters long; the limit is "
                       f"{MAX_STATEMENT_CHARS:,}", "split it into named steps")
    return None


def parse_statement(text: str) -> Body | Problem | None:
    """One line of a check block: its IR, a problem, or None for a blank/comment line."""
    if (problem := _too_long(text)) is not None:
        return problem
    tokens = lex(text)
    if isinstance(tokens, Problem):
        return tokens
    if not tokens:
        return None
    try:
        depths = depth_at(tokens)
        eqs = _split(tokens, depths, "op", "=")
        approx = _split(tokens, depths, "approx")
        if len(eqs) > 1:
            raise _syntax(tokens[eqs[1]].start, "only one '=' per statement")
        if eqs:
            if approx:
                raise _syntax(tokens[approx[0]].start,
                                      "a binding cannot also be a '≈' claim")
            body: Body = _binding(tokens, eqs[0], text)
        elif approx:
            if len(approx) > 1:
                raise _syntax(tokens[approx[1]].start, "only one '≈' per claim")
            a = approx[0]
            if a == 0:
                raise _syntax(tokens[0].start,
                                             "'≈' needs an expression on its left")
            lhs = _parse_python(tokens[:a], allow_compare=False)
            assert not isinstance(lhs, Compare)
            written, tol = _written(tokens[a + 1:], text, True)
            body = Approx(lhs, written, tol)
        else:
            pm = _split(tokens, depths, "pm")
            if pm:
                raise _syntax(tokens[pm[0]].start,
                                      "'±' is only allowed after '≈ number'")
            parsed = _parse_python(tokens, allow_compare=True)
            if not isinstance(parsed, Compare):
                raise _syntax(tokens[0].start,
                                             "this line states nothing", _SENTENCE)
            body = parsed
        nodes = body_nodes(body)
        if isinstance(body, Binding) and is_symbols_call(body.expr):
            nodes = nodes[1:]
        _reject_nested_symbols(nodes)
        return body
    except _ParseError as r:
        return r.problem


def parse_expression(text: str) -> Node | Problem:
    """An expression alone (an inline number's `{= expr =}`)."""
    if (problem := _too_long(text)) is not None:
        return problem
    tokens = lex(text)
    if isinstance(tokens, Problem):
        return tokens
    if not tokens:
        return Problem("E403", 0, "expected a name or an expression")
    try:
        expr = _parse_python(tokens, allow_compare=False)
        assert not isinstance(expr, Compare)
        _reject_nested_symbols(walk(expr))
        return expr
    except _ParseError as r:
        return r.problem


def parse_written(text: str) -> Written | Problem:
    """A registry fact's value: a signed number with optional suffix and units ("80 GiB")."""
    if (problem := _too_long(text)) is not None:
        return problem
    tokens = lex(text)
    if isinstance(tokens, Problem):
        return tokens
    try:
        written, _ = _written(tokens, text, False)
        return written
    except _ParseError as r:
        return r.problem


def bound_names_guess(line: str) -> list[str]:
    """Names a line that could not be parsed seems to bind, so later lines do not cascade."""
    m = re.match(r"\s*([^\W\d]\w*(?:\s*,\s*[^\W\d]\w*)*)\s*=(?!=)", line)
    return [n.strip() for n in m.group(1).split(",")] if m else []

