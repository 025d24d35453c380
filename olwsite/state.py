"""The build manifest: what the last successful build wrote and reported.

The next build uses it three ways: when no input changed at all it only repeats the
report; otherwise it renders only outputs whose render key changed (keys.py) and writes
only what it rendered. Kept under .olwsite-cache/ as JSON, never pickle: a cache folder
can come from an untrusted CI artifact, and loading JSON only ever yields data. A missing,
damaged or foreign manifest costs a full build, never a wrong one.

This module imports nothing heavy, so that an unchanged project builds in well under a
second: the graph, template and sympy machinery is never loaded on that path.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import os
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import REGISTRY, Diagnostic, Related, Severity
from .paths import DestPath
from .project import Project
from .write import cache_json, replace_file

MANIFEST = "build.json"
FORMAT = 1
# Libraries whose version can change what a build produces.
_LIBRARIES = ("jinja2", "latex2mathml", "markdown-it-py", "networkx", "PyYAML", "sympy")


@dataclass
class Manifest:
    inputs: str = ""  # input_digest() of the build that wrote this; "" if unknown
    files: dict[str, FileStamp] = field(default_factory=dict)  # input file -> stamp
    # dest -> (render key or "", size, mtime in ns): a file whose size or time differs was
    # changed by someone else, and is rendered again
    outputs: dict[DestPath, tuple[str, int, int]] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)


@functools.cache
def code_digest() -> bytes:
    """olwsite's own source: a new version renders differently, and so may a local edit."""
    package = Path(__file__).parent
    h = hashlib.blake2b(digest_size=16)
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return h.digest()


@functools.cache
def _versions() -> str:
    return f"python={sys.version_info[:3]} " + " ".join(
        f"{name}={installed_version(name)}" for name in _LIBRARIES)


def installed_version(name: str) -> str:
    """The version of an installed distribution, "?" if there is none."""
    return _installed(frozenset(_normal(n) for n in (*_LIBRARIES, name))).get(
        _normal(name), "?")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


@functools.cache
def _installed(names: frozenset[str]) -> dict[str, str]:
    """Versions of the installed distributions ``names`` (normalised), from the names of
    their .dist-info folders on sys.path, first found first, as importlib.metadata finds
    them; it answers for any not found that way. Importing and asking importlib.metadata
    costs about 45 ms, a tenth of a build with nothing changed at 10,000 topics."""
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            entries = os.listdir(folder or ".")
        except OSError:
            continue
        for entry in entries:
            if entry.endswith(".dist-info") and "-" in entry:
                name, version = entry[:-len(".dist-info")].split("-", 1)
                if _normal(name) in names:
                    found.setdefault(_normal(name), version)
    missing = names - found.keys()
    if missing:
        import importlib.metadata

        for name in missing:
            with contextlib.suppress(importlib.metadata.PackageNotFoundError):
                found[name] = importlib.metadata.version(name)
    return found


FileStamp = tuple[int, int, str]  # size, mtime in ns (-1: always re-read), content hash
RACY_NS = 2_000_000_000


def base_digest(project: Project, today: dt.date) -> str:
    """The inputs other than the files under content/, graph/ and templates/."""
    h = hashlib.blake2b(digest_size=16)
    h.update(code_digest() + _versions().encode() + today.isoformat().encode())
    h.update((project.root / "mkdocs.yml").read_bytes())
    return h.hexdigest()


def input_digest(project: Project, today: dt.date, known: dict[str, FileStamp]
                 ) -> tuple[str, dict[str, FileStamp]]:
    """A digest of everything a build reads: content/, graph/, templates/, mkdocs.yml,
    olwsite's code, library versions, and today's date (review ages depend on it).

    Each file's content hash is taken from ``known`` (the last build's) when its size and
    modification time are unchanged, as git's index does, so an unchanged tree of 10,000
    pages costs stat calls, not reading 60 MB. Returns the digest ("" when the inputs hold
    a symbolic link, whose target could change unseen) and the stamps to record."""
    h = hashlib.blake2b(base_digest(project, today).encode(), digest_size=16)
    stamps: dict[str, FileStamp] = {}
    pending = [project.content_dir, project.graph_dir, project.templates_dir]
    files: list[os.DirEntry[str]] = []
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                return "", {}
            if entry.is_dir():
                pending.append(Path(entry.path))
            else:
                files.append(entry)
    root = len(str(project.root)) + 1
    # A file modified within the clock's granularity of now could change again unseen
    # with the same size and time ("racily clean", in git's words): never trust its stamp.
    racy = time.time_ns() - RACY_NS
    for entry in sorted(files, key=lambda e: e.path):
        rel = entry.path[root:].replace(os.sep, "/")
        st = entry.stat()
        stamp = known.get(rel)
        if stamp is None or stamp[:2] != (st.st_size, st.st_mtime_ns):
            with open(entry.path, "rb") as handle:
                content = hashlib.blake2b(handle.read(), digest_size=16).hexdigest()
            stamp = (st.st_size, st.st_mtime_ns if st.st_mtime_ns < racy else -1, content)
        stamps[rel] = stamp
        h.update(f"{rel}\0{stamp[2]}\0".encode())
    return h.hexdigest(), stamps


def read_manifest(project: Project) -> Manifest:
    try:
        raw = read_json(project.cache_dir / MANIFEST)
        if raw.get("format") != FORMAT or raw.get("docs_dir") != project.docs_dir_name:
            return Manifest()
        outputs = {DestPath(dest): (str(key), int(size), int(mtime))
                   for dest, (key, size, mtime) in raw["outputs"].items()}
        diagnostics = [diagnostic_from_json(d) for d in raw["diagnostics"]]
        stats = {str(k): int(v) for k, v in raw["stats"].items()}
        files = {str(rel): (int(size), int(mtime), str(content))
                 for rel, (size, mtime, content) in raw["files"].items()}
        return Manifest(str(raw["inputs"]), files, outputs, diagnostics, stats)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return Manifest()


def read_json(path: Path) -> Any:
    """A cache file's value (write.cache_json). Raises OSError or ValueError."""
    import orjson  # faster than json: the 15 MB page memo of 10,000 topics 0.80 → 0.60 s

    data = path.read_bytes()
    try:
        return orjson.loads(data)
    except ValueError:  # json's escape of a lone surrogate (a file name), which orjson refuses
        return json.loads(data)


def forget_manifest(project: Project) -> None:
    """Called before the docs folder is written: if writing is interrupted, the next
    build finds no manifest and does a full build."""
    (project.cache_dir / MANIFEST).unlink(missing_ok=True)


def stamp(path: Path | str) -> tuple[int, int]:
    """(size, mtime in ns) of a file, (-1, -1) if it is missing."""
    try:
        st = os.stat(path)
    except OSError:
        return -1, -1
    return st.st_size, st.st_mtime_ns


def write_manifest(project: Project, manifest: Manifest) -> None:
    data = {
        "format": FORMAT, "docs_dir": project.docs_dir_name, "inputs": manifest.inputs,
        "files": manifest.files,  # cache_json sorts keys
        "outputs": manifest.outputs,
        "diagnostics": [asdict(d) for d in manifest.diagnostics],
        "stats": manifest.stats,
    }
    replace_file(project.cache_dir / MANIFEST, cache_json(data))


def intact_keys(project: Project, manifest: Manifest) -> dict[DestPath, str]:
    """Render keys of the recorded outputs still on disk as the last build left them
    (a file someone edited or deleted in the docs folder is rendered again)."""
    docs = f"{project.docs_dir}{os.sep}"  # a string: 20,000 Path objects cost a second
    return {dest: key for dest, (key, *written) in manifest.outputs.items()
            if key and stamp(docs + dest) == tuple(written)}


def site_intact(project: Project, manifest: Manifest, extra: frozenset[str]) -> bool:
    """True if the docs folder holds exactly the recorded outputs (plus ``extra`` names,
    such as the owner mark), each as the last build left it."""
    if not manifest.outputs:
        return False
    outputs = manifest.outputs
    found = 0
    pending = [(os.fspath(project.docs_dir), "")]
    while pending:  # os.scandir: 20,000 os.path.join and os.stat calls cost 0.1 s more
        folder, prefix = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return False
        for entry in entries:
            rel = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                pending.append((entry.path, rel + "/"))
                continue
            recorded = outputs.get(DestPath(rel))
            if recorded is None:
                if rel in extra:
                    continue
                return False
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                return False
            if (st.st_size, st.st_mtime_ns) != recorded[1:]:
                return False
            found += 1
    return found == len(outputs)


def diagnostic_from_json(d: dict[str, Any]) -> Diagnostic:
    """Raises KeyError, TypeError or ValueError for what no build wrote."""
    severity = d["severity"]
    if d["code"] not in REGISTRY:
        raise KeyError(d["code"])
    return Diagnostic(
        str(d["code"]), str(d["message"]), str(d["path"]), int(d["line"]), int(d["col"]),
        None if severity is None else Severity(int(severity)),
        None if d["hint"] is None else str(d["hint"]),
        tuple(Related(str(r["path"]), int(r["line"]), int(r["col"]), str(r["note"]))
              for r in d["related"]))
