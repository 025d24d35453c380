"""The load stage: the only code that reads the project's source files.

Produces raw pages (front-matter parsed with positions, body text) and the data files
under graph/. Problems are diagnostics; nothing here interprets what a key means.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .body import PLACEHOLDER_RE
from .diagnostics import Diagnostic
from .memo import PageMemo
from .paths import SrcPath
from .progress import Progress, Silent
from .project import CACHE_DIR, CONTENT_DIR, GRAPH_DIR, PAGE_MEMO, VERIFY_CACHE, Project
from .scan import Ahead
from .state import read_json
from .yamlpos import YamlDoc, YamlError, parse_yaml

MAX_PAGE_BYTES = 2_000_000  # far above any real page; a 50 MB file is refused unread
DATA_FILES = ("curriculum.yml", "facts.yml", "labs.yml", "paths.yml")


@dataclass
class RawPage:
    src_path: SrcPath
    stem: str
    track_dir: str  # first folder under content/ ('' for a file directly in content/)
    front: YamlDoc
    body: str
    body_first_line: int  # 1-based file line of the body's first line
    digest: str = ""  # of the whole text
    front_digest: str = ""  # of the text up to the body
    words: int = 0  # in the body, as str.split counts them


@dataclass
class Loaded:
    pages: list[RawPage] = field(default_factory=list)
    data: dict[str, YamlDoc] = field(default_factory=dict)  # 'facts.yml' -> doc
    verify_cache: dict[str, Any] = field(default_factory=dict)
    memo: PageMemo = field(default_factory=PageMemo)


def load_project(project: Project, progress: Progress | None = None
                 ) -> tuple[Loaded, list[Diagnostic]]:
    loaded = Loaded(memo=PageMemo.read(project.cache_dir / PAGE_MEMO))
    diags: list[Diagnostic] = []
    files = _content_files(project, diags)
    ahead = Ahead.start(files, loaded.memo)  # scans bodies while this loop parses YAML
    try:
        skip = len(str(project.root)) + 1  # string slicing: pathlib costs ~1 s at 10,000
        for path in (progress or Silent()).track(files, "load", len(files)):
            src = SrcPath(str(path)[skip:].replace(os.sep, "/"))
            page, problems = read_page(path, src, loaded.memo)
            diags.extend(problems)
            if page is not None:
                loaded.pages.append(page)
        if ahead:
            ahead.take(loaded.memo)
    finally:
        if ahead:
            ahead.close()
    for name in DATA_FILES:
        path = project.graph_dir / name
        if not path.is_file():
            continue
        src = SrcPath(f"{GRAPH_DIR}/{name}")
        text, problem = read_text(path, src)
        if problem:
            diags.append(problem)
            continue
        assert text is not None
        try:
            loaded.data[name] = parse_yaml(text)
        except YamlError as exc:
            diags.append(Diagnostic("E110", exc.message, src, exc.line, exc.col))
    loaded.verify_cache = read_verify_cache(project)
    return loaded, diags


def _content_files(project: Project, diags: list[Diagnostic]) -> list[Path]:
    """Every .md file under content/, sorted, refusing links that leave the folder."""
    root = project.content_dir
    real_root = root.resolve()
    found: list[Path] = []
    for folder, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        here = Path(folder)
        for name in list(dirnames):
            if (here / name).is_symlink():
                dirnames.remove(name)
                src = SrcPath((here / name).relative_to(project.root).as_posix())
                diags.append(Diagnostic(
                    "E108", f"'{src}' is a symbolic link to a folder; it is not followed", src))
        for name in sorted(filenames):
            path = here / name
            if not name.endswith(".md"):
                continue
            if path.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(real_root) or not target.is_file():
                    src = SrcPath(path.relative_to(project.root).as_posix())
                    diags.append(Diagnostic(
                        "E108", f"'{src}' links to '{os.readlink(path)}', outside {CONTENT_DIR}/",
                        src))
                    continue
            found.append(path)
    return found


def read_text(path: Path, src: SrcPath) -> tuple[str | None, Diagnostic | None]:
    try:
        size = path.stat().st_size
        if size > MAX_PAGE_BYTES:
            return None, Diagnostic(
                "E103", f"file is {size:,} bytes; the limit is {MAX_PAGE_BYTES:,}", src)
        data = path.read_bytes()
    except OSError as exc:
        return None, Diagnostic("E102", f"cannot read file: {exc.strerror}", src)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, Diagnostic(
            "E101", f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not UTF-8", src,
            line, col)
    if "\x00" in text:
        offset = text.index("\x00")
        line = text.count("\n", 0, offset) + 1
        return None, Diagnostic("E101", "file contains NUL bytes (binary data?)", src, line, 1)
    return text.replace("\r\n", "\n").replace("\r", "\n"), None


def read_page(path: Path, src: SrcPath, memo: PageMemo | None = None
              ) -> tuple[RawPage | None, list[Diagnostic]]:
    """``src`` is the page's path from the project root: content/[track/...]name.md."""
    text, problem = read_text(path, src)
    if problem:
        return None, [problem]
    assert text is not None
    page, problems = split_page(text, src, memo)
    if page is not None:
        parts = src.split("/")[1:]  # below content/
        page.stem = parts[-1].removesuffix(".md")  # only .md files are read
        page.track_dir = parts[0] if len(parts) > 1 else ""
    return page, problems


def split_page(text: str, src: SrcPath, memo: PageMemo | None = None
               ) -> tuple[RawPage | None, list[Diagnostic]]:
    """Split '---' front-matter from the body and parse it with positions."""
    front_lines, body, end = front_matter(text)
    if front_lines is None:
        return None, [Diagnostic("E104", "the file does not start with a '---' line", src)]
    if body is None:
        return None, [Diagnostic("E105", "no closing '---' line after the front-matter", src)]
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    front = memo.front(digest) if memo else None
    if front is None:
        try:
            front = parse_yaml("\n".join(front_lines), line_offset=1)
        except YamlError as exc:
            return None, [Diagnostic(exc.code, exc.message, src, exc.line, exc.col)]
        if memo:
            memo.put_front(digest, front)
    front_digest = hashlib.blake2b(text[:len(text) - len(body)].encode(),
                                   digest_size=16).hexdigest()
    page = RawPage(src, "", "", front, body, end + 2, digest, front_digest,
                   body_words(body, digest, memo))
    # scaffold placeholders in front-matter values and comments (the body's are found later)
    placeholders = [
        Diagnostic("W202", "placeholder 'TODO' left in the front-matter", src, number,
                   match.start() + 1)
        for number, line in enumerate(front_lines, start=2)
        for match in PLACEHOLDER_RE.finditer(line)
    ]
    return page, placeholders


def body_words(body: str, digest: str, memo: PageMemo | None) -> int:
    """The body's word count, memoised: splitting 10,000 bodies takes 0.4 s."""
    words = memo.words(digest) if memo else None
    if words is None:
        words = len(body.split())
        if memo:
            memo.put_words(digest, words)
    return words


def front_matter(text: str) -> tuple[list[str] | None, str | None, int]:
    """(front-matter lines, body, index of the closing line): lines None without an
    opening '---', body None without a closing one. Only the front-matter is split into
    lines: bodies are long, and most builds never look at them again."""
    start = text.find("\n")
    if (text if start < 0 else text[:start]).rstrip() != "---":
        return None, None, 0
    front: list[str] = []
    while start >= 0:
        nl = text.find("\n", start + 1)
        line = text[start + 1:] if nl < 0 else text[start + 1:nl]
        if line.rstrip() in ("---", "..."):
            return front, ("" if nl < 0 else text[nl + 1:]), len(front) + 1
        front.append(line)
        start = nl
    return front, None, 0


def read_verify_cache(project: Project) -> dict[str, Any]:
    try:
        value = read_json(project.root / CACHE_DIR / VERIFY_CACHE)
    except (OSError, ValueError):
        return {}  # a missing or damaged cache only costs a slower build
    return value if isinstance(value, dict) else {}
