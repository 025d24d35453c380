"""Reading a page body: check blocks, inline numbers, links and placeholders.

Check blocks sit inside admonitions (indented exercise solutions), where a CommonMark
parser sees indented code, not fences; so fences are found line by line, honouring
indentation, and everything else is scanned outside fenced code only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


FENCE_RE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*?)[ \t]*$")
INLINE_RE = re.compile(r"\{=\s*(?P<expr>[^|{}]*?)\s*(?:\|\s*(?P<fmt>[^{}=]*?)\s*)?=\}")
FAMILY_TABLE_RE = re.compile(r"^[ \t]*\{\{\s*family_table\s*\}\}[ \t]*$")
PLACEHOLDER_RE = re.compile(r"\bTODO\b")


@dataclass(frozen=True)
class Fence:
    start: int  # 0-based body line index of the opening fence
    end: int  # 0-based index of the closing fence (or last line if unclosed)
    indent: str
    info: str
    closed: bool


@dataclass(frozen=True)
class Link:
    target: str
    line: int  # 0-based body line index
    col: int  # 0-based


def fences(lines: list[str]) -> list[Fence]:
    found: list[Fence] = []
    # most lines hold no fence: find the candidates in one pass before any regex
    candidates = [i for i, line in enumerate(lines) if "```" in line or "~~~" in line]
    done = 0  # lines before this index are inside a fence already found
    for index in candidates:
        if index < done:
            continue
        match = FENCE_RE.match(lines[index])
        if not match:
            continue
        indent, fence = match["indent"], match["fence"]
        closer = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        end = index + 1
        while end < len(lines) and not closer.match(lines[end]):
            end += 1
        closed = end < len(lines)
        found.append(Fence(index, min(end, len(lines) - 1), indent, match["info"].strip(),
                           closed))
        done = end + 1
    return found


def outside_fences(lines: list[str], all_fences: list[Fence]) -> Iterator[tuple[int, str]]:
    """(index, line) for each body line outside fenced code."""
    inside: set[int] = set()
    for fence in all_fences:
        inside.update(range(fence.start, fence.end + 1))
    for index, line in enumerate(lines):
        if index not in inside:
            yield index, line


def strip_code_spans(line: str) -> str:
    """Blank out `inline code` so its contents are not read as links or numbers."""
    if "`" not in line:
        return line
    return re.sub(r"(`+)(.+?)\1", lambda m: " " * len(m.group(0)), line)


# A plain [text](target) or ![alt](target): a target of characters markdown-it neither
# escapes, decodes nor refuses, link text without brackets.
_PLAIN_LINK = re.compile(r"!?\[[^\[\]]*\]\(([A-Za-z0-9._/#-]*)\)")


def links(lines: list[str], all_fences: list[Fence]) -> list[Link]:
    """Markdown links and images outside code, with their positions.

    Admonition bodies are indented, so each line is parsed on its own, dedented; a link
    never spans lines in this project's content.
    """
    found = []
    for index, line in outside_fences(lines, all_fences):
        text = strip_code_spans(line)
        if "](" not in text:
            continue
        stripped = text.lstrip()
        offset = len(text) - len(stripped)
        for href in _plain_links(stripped) or _parsed_links(stripped):
            col = text.find("](" + href, offset)
            found.append(Link(href, index, (col + 2) if col >= 0 else offset))
    return found


def _plain_links(text: str) -> list[str] | None:
    """The targets of a line whose every bracket belongs to a plain link (nearly every
    line with a link), by one regex; None when anything else could change the meaning
    (escapes, HTML, entities, code, other brackets): markdown-it then reads the line."""
    if "\\" in text or "<" in text or "&" in text or "`" in text:
        return None
    matches = _PLAIN_LINK.findall(text)
    if not matches or text.count("[") != len(matches) or text.count("]") != len(matches):
        return None
    return matches


@functools.cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt  # 40 ms to import, and most pages never need it

    return MarkdownIt("commonmark")


def _parsed_links(text: str) -> list[str]:
    hrefs = []
    for token in _markdown().parseInline(text):
        for child in token.children or []:
            href = child.attrGet("href") if child.type == "link_open" else (
                child.attrGet("src") if child.type == "image" else None)
            if isinstance(href, str):
                hrefs.append(href)
    return hrefs


@dataclass(frozen=True)
class InlineSpan:
    line: int  # 0-based body line index
    start: int
    end: int
    expr: str
    fmt: str


@dataclass(frozen=True)
class BodyParts:
    """What the verify and render stages need from one body, found in one scan."""

    lines: list[str]
    fences: list[Fence]
    check_fences: list[Fence]
    inline: list[InlineSpan]
    links: list[Link]
    family_table_lines: list[int]
    placeholder_lines: list[tuple[int, int]]  # (line index, col) of 'TODO'


def scan_body(body: str) -> BodyParts:
    lines = body.split("\n")
    all_fences = fences(lines)
    inline: list[InlineSpan] = []
    table_lines: list[int] = []
    placeholders: list[tuple[int, int]] = []
    for index, line in outside_fences(lines, all_fences):
        visible = strip_code_spans(line)
        if "{" in visible:
            for match in INLINE_RE.finditer(visible):
                inline.append(InlineSpan(index, match.start(), match.end(), match["expr"],
                                         (match["fmt"] or "").strip()))
            if FAMILY_TABLE_RE.match(line):
                table_lines.append(index)
        if "TODO" in visible:
            placeholders.extend((index, m.start()) for m in PLACEHOLDER_RE.finditer(visible))
    for fence in all_fences:  # scaffold placeholders also sit in empty check blocks
        for index in range(fence.start, fence.end + 1):
            if "TODO" in lines[index]:
                placeholders.extend((index, m.start())
                                    for m in PLACEHOLDER_RE.finditer(lines[index]))
    return BodyParts(
        lines=lines,
        fences=all_fences,
        check_fences=[f for f in all_fences if f.info == "check"],
        inline=inline,
        links=links(lines, all_fences),
        family_table_lines=table_lines,
        placeholder_lines=sorted(placeholders),
    )


def fence_text(parts: BodyParts, fence: Fence) -> str:
    """The inner lines of a fence with its indentation removed."""
    inner = parts.lines[fence.start + 1:fence.end if fence.closed else fence.end + 1]
    width = len(fence.indent)
    return "\n".join(line[width:] if line[:width].strip() == "" else line.lstrip()
                     for line in inner)
