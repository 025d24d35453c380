"""TeX math in page bodies -> MathML, at render time, so the site typesets math with no
script, font or network: Chromium and Firefox render MathML natively.

Delimiters follow pymdownx.arithmatex's "smart dollar" rule, plus Pandoc's: an inline
``$`` must not be followed by a space, its closing ``$`` must not follow a space nor be
followed by a digit, so "$16 and $500" stays text. ``$$`` on its own line opens and
closes display math. Fenced code and inline code spans are left alone.

The MathML is raw HTML inside Markdown. Python-Markdown stashes the tags but still reads
the text between them as Markdown, so characters it would act on are written as
entities, and each formula is emitted on one line so no blank line or indentation change
can split it.
"""

from __future__ import annotations

import bisect
import functools
import html
import re

from latex2mathml.converter import convert

from .body import fences

# opening $ not escaped and not part of $$; content may hold escaped characters
INLINE_RE = re.compile(r"(?<![\\$])\$(?![\s$])((?:\\.|[^\\$])+?)(?<!\s)\$(?![\d$])",
                       re.S)
# $$...$$ written inside a line of text
INLINE_DISPLAY_RE = re.compile(r"(?<!\\)\$\$(?!\s)((?:\\.|[^\\$])+?)(?<!\s)\$\$", re.S)
CODE_SPAN_RE = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
TEXT_RE = re.compile(r">([^<]+)<")
# latex2mathml passes an unknown command through as text, e.g. <mi>\foo</mi>
UNKNOWN_COMMAND_RE = re.compile(r">(\\[A-Za-z]+)<")
# characters Python-Markdown reads as emphasis, code, links, escapes, table cells, attrs
MARKDOWN_SPECIALS = {c: f"&#{ord(c)};" for c in "*_`[]\\|{}$"}
NAMED_SPACES = {"negativethinmathspace": "-0.167em", "negativemediummathspace": "-0.222em",
                "negativethickmathspace": "-0.278em", "thinmathspace": "0.167em",
                "mediummathspace": "0.222em", "thickmathspace": "0.278em"}
MAX_TEX = 10_000  # longer is surely a missing closing $, not a formula


def convert_math(body: str) -> tuple[str, list[tuple[int, int, str]]]:
    """The body with its TeX math as MathML, and (line index, column, message) for each
    formula that could not be converted (both 0-based, in ``body``'s lines)."""
    if "$" not in body:
        return body, []
    lines = body.split("\n")
    in_fence = [False] * len(lines)
    for fence in fences(lines):
        for index in range(fence.start, fence.end + 1):
            in_fence[index] = True
    out: list[str] = []
    problems: list[tuple[int, int, str]] = []
    segment: list[int] = []  # consecutive text lines, converted together

    def flush() -> None:
        if segment:
            out.extend(_inline(lines, segment, problems))
            segment.clear()

    index = 0
    while index < len(lines):
        line = lines[index]
        if in_fence[index] or not line.strip():
            flush()
            out.append(line)
            index += 1
            continue
        end = _display_end(lines, in_fence, index)
        if end is None:
            segment.append(index)
            index += 1
            continue
        flush()
        indent = line[: len(line) - len(line.lstrip())]
        inner = "\n".join(lines[index:end + 1]).strip()[2:-2]
        math, problem = _to_mathml(inner.strip(), display=True)
        if problem:
            problems.append((index, len(indent), problem))
        alone = (index == 0 or not lines[index - 1].strip()) and (
            end + 1 == len(lines) or not lines[end + 1].strip())
        out.append(indent + (math if alone else _guard(math, indent)))
        index = end + 1
    flush()
    return "\n".join(out), problems


def _display_end(lines: list[str], in_fence: list[bool], start: int) -> int | None:
    """Index of the line that closes display math opened on line ``start``, if any."""
    text = lines[start].strip()
    if not text.startswith("$$"):
        return None
    if len(text) >= 4 and text.endswith("$$") and text != "$$$":
        return start  # $$ x $$ on one line
    if "$$" in text[2:]:
        return None  # $$x$$ followed by text: inline display math, converted with the text
    for index in range(start + 1, len(lines)):
        if in_fence[index] or not lines[index].strip():
            return None  # a blank line ends the paragraph: unclosed, left as text
        if lines[index].rstrip().endswith("$$"):
            return index
    return None


def _inline(lines: list[str], indices: list[int],
            problems: list[tuple[int, int, str]]) -> list[str]:
    """Convert inline math in consecutive lines, where a formula may cross a line break."""
    text = "\n".join(lines[i] for i in indices)
    if "$" not in text:
        return [lines[i] for i in indices]
    # same-length mask so offsets still point into ``text``
    masked = CODE_SPAN_RE.sub(lambda m: "\0" * len(m.group(0)), text) if "`" in text else text
    starts = [0]
    for i in indices[:-1]:
        starts.append(starts[-1] + len(lines[i]) + 1)
    found: list[tuple[int, int, str]] = []
    for pattern, display in ((INLINE_DISPLAY_RE, True), (INLINE_RE, False)):
        for match in pattern.finditer(masked):
            if "\0" in match.group(1) or "\n\n" in match.group(1):
                continue
            if any(s < match.end() and match.start() < e for s, e, _ in found):
                continue
            math, problem = _to_mathml(text[match.start(1):match.end(1)], display=display)
            if problem:
                row = bisect.bisect_right(starts, match.start()) - 1
                problems.append((indices[row], match.start() - starts[row], problem))
            line_start = text.rfind("\n", 0, match.start()) + 1
            found.append((match.start(), match.end(),
                          _guard(math, text[line_start:match.start()])))
    pieces = []
    last = 0
    for start, end, math in sorted(found):
        pieces.append(_unescape_dollars(text[last:start], masked[last:start]))
        pieces.append(math)
        last = end
    pieces.append(_unescape_dollars(text[last:], masked[last:]))
    return "".join(pieces).split("\n")


def _guard(math: str, before: str) -> str:
    """Python-Markdown reads a block-level tag such as <math> that starts a line (after up
    to three spaces) as the start of a raw HTML block, which would cut a paragraph or list
    item in two; a span in front keeps the formula inside its paragraph."""
    if before.strip() or len(before) > 3:
        return math
    return f'<span class="olw-math">{math}</span>'


def _unescape_dollars(text: str, masked: str) -> str:
    r"""``\$`` outside math and code is a literal dollar, as arithmatex rendered it."""
    if "\\$" not in masked:
        return text
    return "".join("" if c == "\\" and masked[i:i + 2] == "\\$" else c
                   for i, c in enumerate(text))


@functools.lru_cache(maxsize=16384)  # formulas repeat across pages and rebuilds
def _to_mathml(tex: str, display: bool) -> tuple[str, str | None]:
    """(HTML, problem or None); the HTML is the source in a marked code element if
    the formula cannot be converted."""
    problem: str | None = None
    math = ""
    if len(tex) > MAX_TEX:
        problem = f"math not converted (longer than {MAX_TEX} characters: a missing '$'?)"
    else:
        try:
            math = convert(tex, display="block" if display else "inline")
        except Exception as exc:  # any failure of the third-party parser is the content's
            detail = str(exc) or type(exc).__name__
            problem = f"math not converted ({detail}): {_short(tex)}"
        else:
            unknown = UNKNOWN_COMMAND_RE.search(math)
            if unknown:
                problem = f"math not converted (unknown command {unknown.group(1)}): {_short(tex)}"
    if problem:
        delim = "$$" if display else "$"
        source = _protect(html.escape(f"{delim}{tex}{delim}", quote=False)).replace("\n", "&#10;")
        kind = "olw-math-error olw-math-display" if display else "olw-math-error"
        return (f'<code class="{kind}" title="This formula could not be typeset">{source}</code>',
                problem)
    # inline is the default; named spaces are MathML 3, which MathML Core (Chromium) ignores
    math = math.replace(' xmlns="http://www.w3.org/1998/Math/MathML"', "", 1)
    math = math.replace(' display="inline"', "", 1)
    for name, width in NAMED_SPACES.items():
        math = math.replace(f'width="{name}"', f'width="{width}"')
    return TEXT_RE.sub(lambda m: ">" + _protect(m.group(1)) + "<", math), None


def _protect(text: str) -> str:
    return "".join(MARKDOWN_SPECIALS.get(c, c) for c in text)


def _short(tex: str) -> str:
    flat = " ".join(tex.split())
    return flat if len(flat) <= 60 else flat[:57] + "..."
