"""The edit basis (basis.py): what a full build records for later body edits reads back
as written, and a damaged or foreign file or entry reads as missing, never as an error."""

from __future__ import annotations

from pathlib import Path

from olwsite.basis import FORMAT, EditBasis, PageBasis
from olwsite.diagnostics import Diagnostic
from olwsite.paths import Slug, SrcPath

SRC = SrcPath("content/basics/tokens.md")
PAGE = PageBasis(Slug("tokens"), "f" * 32, "a" * 32, "c" * 32, 3, True, "d" * 64,
                 [Diagnostic("W202", "placeholder 'TODO' left in the page", SRC, 12, 5)],
                 "e" * 32, [Diagnostic("W201", "unknown key 'titel'", SRC, 3, 1,
                                       hint="did you mean 'title'?")])


def written(tmp_path: Path) -> Path:
    basis = EditBasis("inputs", "base", {"gpu_memory": "80 GiB"}, ["1", "2"], {"pages": 1},
                      "graph")
    basis.set_page(SRC, PAGE)
    path = tmp_path / "basis.json"
    basis.write(path)
    return path


def test_a_basis_reads_back_as_written(tmp_path: Path) -> None:
    basis = EditBasis.read(written(tmp_path))
    assert basis is not None
    assert (basis.inputs, basis.base, basis.facts, basis.layers, basis.home, basis.graph) == (
        "inputs", "base", {"gpu_memory": "80 GiB"}, ["1", "2"], {"pages": 1}, "graph")
    assert basis.page(SRC) == PAGE
    assert basis.context_keys() == {"tokens": "c" * 32}
    assert basis.page(SrcPath("content/other.md")) is None


def test_damage_reads_as_missing(tmp_path: Path) -> None:
    path = written(tmp_path)
    text = path.read_text(encoding="utf-8")
    for damaged in ("", "[]", text.replace(f'"format":{FORMAT}', '"format":99'),
                    text.replace('"facts":{', '"facts":[{', 1)):
        path.write_text(damaged, encoding="utf-8")
        assert EditBasis.read(path) is None
    for entry in ('"ccc"', '"not hex"', "[1]"):  # one page's context key damaged
        path.write_text(text.replace(f'"{"c" * 32}"', entry, 1), encoding="utf-8")
        basis = EditBasis.read(path)
        assert basis is not None and basis.page(SRC) is None, entry
