"""Tokenizer for one check statement.

Python's own tokenizer cannot read `70B`, `2 B`, `0.12%` or `≈`, so statements are
tokenized here; the parser then rebuilds Python text from the tokens for `ast.parse`.
The lexer also enforces the bounds that must hold *before* `ast.parse` runs (bracket
nesting), and rejects `_`-names, string prefixes and escapes outright.
"""

from __future__ import annotations

import keyword
import re
from fractions import Fraction
from typing import NamedTuple

from .ir import MAX_DEPTH, MAX_STATEMENT_CHARS, Problem
from .units import COUNT_SUFFIXES, UNITS

_NUMBER = re.compile(r"[0-9](?:_?[0-9])*(?:\.[0-9](?:_?[0-9])*)?(?:[eE][+-]?[0-9]+)?")
_ONE = Fraction(1)
_MAX_EXPONENT = 1000  # 1e1000 is ~3,300 bits; anything beyond is a typo or an attack
# Longest first: maximal munch, so `**` never becomes `* *` in the rebuilt text.
_OPERATORS = (
    "**=", "//=", ">>=", "<<=", "...", "**", "//", "==", "!=", "<=", ">=", "<<", ">>", ":=",
    "->", "~=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=",
    "+", "-", "*", "/", "%", "(", ")", "[", "]", "{", "}", ",", ".", ":", ";", "=", "<",
    ">", "!", "~", "&", "|", "^", "@",
)
_OPERATOR = re.compile("|".join(re.escape(o) for o in _OPERATORS))
_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {v: k for k, v in _OPEN.items()}
_STRING_PREFIXES = frozenset({"f", "b", "r", "u", "rb", "br", "fr", "rf"})
_LOOKALIKES = {
    "−": "'-' (ASCII minus)", "–": "'-' (ASCII minus)", "×": "'*'", "·": "'*'", "÷": "'/'",
    "≤": "'<='", "≥": "'>='", "≠": "nothing: '!=' claims are not supported",
    "“": "'\"' (a plain double quote)", "”": "'\"' (a plain double quote)",
}
KEYWORDS = frozenset(keyword.kwlist)


class Token(NamedTuple):  # a NamedTuple: lexing makes many, and tuples are cheap to build
    kind: str  # "num" | "name" | "str" | "op" | "approx" | "pm"
    text: str  # the source text; for "num" it includes suffix, percent and unit
    start: int
    end: int
    value: Fraction = Fraction(0)  # "num": the number, suffix and percent applied
    digit: Fraction = Fraction(0)  # "num": one unit of the last written digit, same scale
    suffix: str = ""  # "num": "K" "M" "B" "T" "%" or ""
    unit: str | None = None  # "num": unit written after the number, if any


def _is_name_char(c: str) -> bool:
    return c.isalnum() or c == "_"


_WORD = re.compile(r"\w*")


def _word_at(text: str, i: int) -> str:
    m = _WORD.match(text, i)
    return m.group(0) if m else ""


def _number(text: str, i: int) -> Token | Problem:
    m = _NUMBER.match(text, i)
    assert m is not None  # called on a digit
    raw = m.group(0)
    if raw.isdigit():  # a plain integer, most numbers: no Fraction arithmetic
        value, digit = Fraction(int(raw)), _ONE
    else:
        mantissa, _, exp_text = raw.replace("_", "").lower().partition("e")
        whole, _, decimals = mantissa.partition(".")
        exponent = int(exp_text) if exp_text else 0
        if abs(exponent) > _MAX_EXPONENT:
            return Problem("E407", i,
                           f"number {raw} is too large: the exponent limit is {_MAX_EXPONENT}")
        # Exact from the text: 0.12 is 12/100, never a binary float.
        scale = exponent - len(decimals)
        digit = Fraction(10**scale) if scale >= 0 else Fraction(1, 10**-scale)
        value = int(whole + decimals) * digit
    j = m.end()
    suffix = ""
    nxt = text[j] if j < len(text) else ""
    after = text[j + 1] if j + 1 < len(text) else ""
    if nxt == "%":
        suffix, value, digit, j = "%", value / 100, digit / 100, j + 1
    elif nxt in COUNT_SUFFIXES and not _is_name_char(after):
        mult = COUNT_SUFFIXES[nxt]
        suffix, value, digit, j = nxt, value * mult, digit * mult, j + 1
    if j < len(text) and (_is_name_char(text[j]) or text[j] == "."):
        word = _word_at(text, j) or text[j]
        if word in UNITS:
            return Problem(
                "E403", j, f"a unit must be separated from its number: write '{raw} {word}'",
                "a letter stuck to a number is a count suffix (K M B T): 70B is seventy billion, "
                "70 B is seventy bytes")
        return Problem("E403", j, f"a number cannot be followed directly by '{word}'",
                       "write '2 * x' to multiply")
    # A unit name after blanks belongs to the number: `2 B` is two bytes.
    k = j
    while k < len(text) and text[k] in " \t":
        k += 1
    unit = None
    if k > j:
        word = _word_at(text, k)
        if word in UNITS:
            unit, j = word, k + len(word)
    return Token("num", text[i:j], i, j, value, digit, suffix, unit)


def lex(text: str) -> list[Token] | Problem:
    """Tokens of one statement; stops at a `#` comment. The first problem wins."""
    tokens: list[Token] = []
    opens: list[tuple[str, int]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t":
            i += 1
        elif c == "#":
            break
        elif "0" <= c <= "9":
            tok = _number(text, i)
            if isinstance(tok, Problem):
                return tok
            tokens.append(tok)
            i = tok.end
        elif c.isalpha() or c == "_":
            word = _word_at(text, i)
            end = i + len(word)
            if end < n and text[end] in "\"'" and word.lower() in _STRING_PREFIXES:
                return Problem("E404", i, "f-strings and other prefixed strings are not allowed",
                               "strings appear only as names in symbols(\"x y\")")
            if word.startswith("_"):
                return Problem("E404", i, f"names starting with '_' are not allowed ('{word}')")
            if not word.isidentifier():
                return Problem("E403", i, f"'{word}' is not a valid name",
                               "names are letters, digits and '_', starting with a letter")
            tokens.append(Token("name", word, i, end))
            i = end
        elif c in "\"'":
            close = text.find(c, i + 1)
            if close < 0:
                return Problem("E403", i, "string is never closed")
            if "\\" in text[i + 1:close]:
                return Problem("E404", i, "backslashes are not allowed in strings")
            tokens.append(Token("str", text[i:close + 1], i, close + 1))
            i = close + 1
        elif c == "≈":
            tokens.append(Token("approx", c, i, i + 1))
            i += 1
        elif c == "±":
            tokens.append(Token("pm", c, i, i + 1))
            i += 1
        elif c in _LOOKALIKES:
            return Problem("E403", i, f"unexpected character '{c}'", f"use {_LOOKALIKES[c]}")
        elif c == "." and text[i + 1:i + 2].isdigit():
            return Problem("E403", i, "a number must start with a digit", "write 0.5, not .5")
        else:
            m = _OPERATOR.match(text, i)
            if m is None:
                return Problem("E403", i, f"unexpected character {c!r}")
            op = m.group(0)
            if op in _OPEN:
                opens.append((op, i))
                if len(opens) > MAX_DEPTH:
                    return Problem("E407", i,
                                   f"brackets nest deeper than {MAX_DEPTH} levels",
                                   "split the expression into named steps")
            elif op in _CLOSE:
                if not opens:
                    return Problem("E403", i, f"unmatched '{op}'")
                if opens[-1][0] != _CLOSE[op]:
                    return Problem("E403", i, f"'{op}' does not match '{opens[-1][0]}'")
                opens.pop()
            tokens.append(Token("approx" if op == "~=" else "op", op, i, i + len(op)))
            i += len(op)
    if opens:
        return Problem("E403", opens[-1][1], f"'{opens[-1][0]}' is never closed")
    return tokens


def code_part(line: str) -> str:
    """The line up to its `#` comment (a `#` inside a string does not start one)."""
    line = line[:MAX_STATEMENT_CHARS + 1]  # longer statements are refused; keep this cheap
    if "#" not in line:
        return line
    quote = ""
    for i, c in enumerate(line):
        if quote:
            quote = "" if c == quote else quote
        elif c in "\"'":
            quote = c
        elif c == "#":
            return line[:i]
    return line


# Identifiers outside strings, comments and numbers: what a statement can read or bind.
_NAME_SCAN = re.compile(r"""\"[^"\n]*"|'[^'\n]*'|#[^\n]*|[0-9][\w.]*|([^\W\d]\w*)""")


def names_in(text: str) -> set[str]:
    """Every name a text could read, by one regex pass (cheap: used for cache keys).

    Exact for valid statements; for invalid ones it may name more, which only means the
    page is re-verified when such a fact changes.
    """
    return {m.group(1) for m in _NAME_SCAN.finditer(text) if m.group(1)}


def depth_at(tokens: list[Token]) -> list[int]:
    """Bracket depth before each token (the parser splits statements at depth 0)."""
    out, depth = [], 0
    for t in tokens:
        if t.kind == "op" and t.text in _CLOSE:
            depth -= 1
        out.append(depth)
        if t.kind == "op" and t.text in _OPEN:
            depth += 1
    return out
