"""Topic contexts: what each topic page was rendered from, apart from its body and its
verdict (render.topic_context: its lists of neighbours, its local graph, its "before
you start" totals, …), stored by the full build so that an edit to a body alone can
re-render that one page without loading the rest of the curriculum (edit.py).

One file, ``contexts.bin`` under .olwsite-cache/: a header line of JSON mapping each slug
to (context key, offset, length), then the contexts, each JSON compressed with zlib. A
reader takes one context by seeking, not the whole file. JSON, never pickle: a cache may
come from an untrusted CI artifact. A context is used only when its key (keys.py) is the
one the build manifest's state implies; a missing or damaged file only costs a full build.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from .paths import Slug

MAGIC = b"olwsite-contexts 1\n"


def _json(value: Any) -> bytes | None:
    """``value`` as JSON if JSON holds it exactly (not a date from YAML, a tuple, …)."""
    try:
        data = orjson.dumps(value)
    except TypeError:
        return None
    return data if orjson.loads(data) == value else None


def exactly_json(value: Any) -> bool:
    return _json(value) is not None


def encode_context(context: Mapping[str, Any]) -> bytes:
    """The context as compressed JSON; b"" if JSON cannot hold it exactly, and then a
    body edit to the page takes a full build."""
    data = _json(context)
    return zlib.compress(data, 1) if data is not None else b""


MAX_CONTEXT = 16 * 1024 * 1024  # bytes decompressed: a real one is about 10 KB


def decode_context(blob: bytes) -> dict[str, Any] | None:
    try:
        inflate = zlib.decompressobj()
        data = inflate.decompress(blob, MAX_CONTEXT)
        if inflate.unconsumed_tail or not inflate.eof:
            return None  # damaged, or larger than any context (a forged cache)
        value = orjson.loads(data)
    except (zlib.error, ValueError):
        return None
    return value if isinstance(value, dict) else None


def write_contexts(path: Path, contexts: Mapping[Slug, tuple[str, bytes]]) -> None:
    """Write ``contexts`` (slug -> (context key, encoded context)), replacing the file."""
    from .write import replace_file

    index: dict[str, list[Any]] = {}
    offset = 0
    for slug in sorted(contexts):
        key, blob = contexts[slug]
        if blob:
            index[slug] = [key, offset, len(blob)]
            offset += len(blob)
    header = orjson.dumps(index, option=orjson.OPT_SORT_KEYS) + b"\n"
    replace_file(path, MAGIC, header, *(contexts[Slug(s)][1] for s in index))


def update_contexts(path: Path, new: Mapping[Slug, tuple[str, bytes]]) -> None:
    """Store ``new`` contexts (slug -> (key, encoded)) in place of those stored for their
    slugs. The stored contexts are copied as they are and the new ones appended: a
    context replaced stays in the file, out of the index, until the next full build
    writes the file afresh (a few kilobytes an edit). Entries are checked when read."""
    from .write import replace_file

    old = Contexts(path)
    index: dict[str, Any] = dict(old.index)
    data = b""
    if old.start:
        try:
            with path.open("rb") as handle:
                handle.seek(old.start)
                data = handle.read()
        except OSError:
            index.clear()
    offset, tail = len(data), []
    for slug in sorted(new):
        key, blob = new[slug]
        index.pop(slug, None)
        if blob:
            index[slug] = [key, offset, len(blob)]
            offset += len(blob)
            tail.append(blob)
    header = orjson.dumps(index, option=orjson.OPT_SORT_KEYS) + b"\n"
    replace_file(path, MAGIC, header, data, *tail)


class Contexts:
    """The stored contexts, read lazily: ``get`` reads one, ``blobs`` those a build keeps."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.index: dict[str, Any] = {}  # slug -> [key, offset, length], checked when used
        self.start = 0
        try:
            with path.open("rb") as handle:
                if handle.readline() != MAGIC:
                    return
                header = handle.readline()
            index = orjson.loads(header)
            if isinstance(index, dict):
                self.index, self.start = index, len(MAGIC) + len(header)
        except (OSError, ValueError):
            pass

    def _entry(self, slug: str, key: str) -> tuple[int, int] | None:
        entry = self.index.get(slug)
        if (isinstance(entry, list) and len(entry) == 3 and entry[0] == key
                and all(isinstance(n, int) and n >= 0 for n in entry[1:])):
            return entry[1], entry[2]
        return None

    def get(self, slug: Slug, key: str) -> dict[str, Any] | None:
        """The context of ``slug`` if it was stored under ``key``."""
        blob = self.blob(slug, key)
        return decode_context(blob) if blob else None

    def blob(self, slug: Slug, key: str) -> bytes:
        entry = self._entry(slug, key)
        if entry is None:
            return b""
        offset, length = entry
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.start + offset)
                blob = handle.read(length)
        except OSError:
            return b""
        return blob if len(blob) == length else b""

    def blobs(self, wanted: Mapping[Slug, str]) -> dict[Slug, tuple[str, bytes]]:
        """The stored contexts whose key is the one in ``wanted`` (slug -> key), read in one
        pass over the file."""
        found: dict[Slug, tuple[str, bytes]] = {}
        entries = {slug: self._entry(slug, key) for slug, key in wanted.items()}
        if not any(entries.values()):
            return found
        try:
            data = self.path.read_bytes()
        except OSError:
            return found
        for slug, entry in entries.items():
            if entry is not None:
                offset, length = entry
                blob = data[self.start + offset:self.start + offset + length]
                if len(blob) == length:
                    found[slug] = wanted[slug], blob
        return found
