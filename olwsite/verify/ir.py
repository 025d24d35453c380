"""The parsed form of check statements: small frozen, picklable records (no sympy).

The parser turns a statement into these; the evaluator turns them into sympy objects.
Offsets are 0-based character positions inside the statement text.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .units import Dim

# Bump whenever the meaning of a statement, a message or the verdict's shape changes:
# it is part of every cache key.
LANGUAGE_VERSION = "1"

# name -> (minimum, maximum or None) number of positional arguments
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "ceil": (1, 1), "floor": (1, 1), "round": (1, 2), "sqrt": (1, 1), "log": (1, 2),
    "log2": (1, 1), "log10": (1, 1), "exp": (1, 1), "min": (1, None), "max": (1, None),
    "abs": (1, 1), "symbols": (1, 1), "simplify": (1, 1), "expand": (1, 1), "factor": (1, 1),
    "integrate": (2, None), "diff": (2, 3), "Sum": (2, 2), "limit": (3, 3),
}
CONSTANTS: frozenset[str] = frozenset({"pi", "E", "oo"})
SYMBOL_ASSUMPTIONS: frozenset[str] = frozenset({"positive", "real", "integer"})
# Functions whose tuple arguments are (variable, low, high) limits.
TUPLE_TAKERS: frozenset[str] = frozenset({"integrate", "Sum"})

MAX_STATEMENT_CHARS = 2000
MAX_DEPTH = 100
MAX_BLOCK_STATEMENTS = 200
MAX_BITS = 100_000  # a value's size limit, ~30,000 decimal digits: beyond any worked example


@dataclass(frozen=True)
class Problem:
    code: str
    offset: int
    message: str
    hint: str | None = None


@dataclass(frozen=True)
class Lit:
    value: Fraction  # the number with its suffix or percent applied, before the unit
    unit: str | None
    start: int
    end: int


@dataclass(frozen=True)
class Ref:
    name: str
    start: int
    end: int


@dataclass(frozen=True)
class Bool:
    value: bool
    start: int
    end: int


@dataclass(frozen=True)
class Str:
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Unary:
    op: str  # "-" or "+"
    operand: Node
    start: int
    end: int


@dataclass(frozen=True)
class Bin:
    op: str  # "+", "-", "*", "/", "**"
    left: Node
    right: Node
    start: int
    end: int


@dataclass(frozen=True)
class Tup:
    items: tuple[Node, ...]
    start: int
    end: int


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Node, ...]
    kwargs: tuple[tuple[str, Node], ...]
    start: int
    end: int
    func_end: int


Node = Lit | Ref | Bool | Str | Unary | Bin | Tup | Call


@dataclass(frozen=True)
class Written:
    """A number as the text writes it: the right side of '≈', a tolerance, a fact value."""

    value: Fraction  # in base units
    half: Fraction  # half a unit of the last written digit, in base units
    dim: Dim
    unit: str  # the unit text as written ("GB", "GB/s", ""), for showing values
    scale: Fraction  # factor of that unit text in base units (GB: 10**9)
    suffix: str  # count suffix or "%" ("" if none): values are shown in the same style
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Binding:
    names: tuple[str, ...]
    expr: Node


@dataclass(frozen=True)
class Compare:
    ops: tuple[str, ...]  # "==", "<", "<=", ">", ">="
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Approx:
    lhs: Node
    written: Written
    tolerance: Written | None  # relative when its suffix is "%"


Body = Binding | Compare | Approx


def walk(node: Node) -> list[Node]:
    """Every node under `node` (itself included), without recursion."""
    out: list[Node] = []
    stack: list[Node] = [node]
    while stack:
        n = stack.pop()
        out.append(n)
        if isinstance(n, Unary):
            stack.append(n.operand)
        elif isinstance(n, Bin):
            stack += [n.right, n.left]
        elif isinstance(n, Tup):
            stack += reversed(n.items)
        elif isinstance(n, Call):
            stack += reversed([v for _, v in n.kwargs])
            stack += reversed(n.args)
    return out


def body_nodes(body: Body) -> list[Node]:
    if isinstance(body, Binding):
        return walk(body.expr)
    if isinstance(body, Compare):
        return [n for op in body.operands for n in walk(op)]
    return walk(body.lhs)
