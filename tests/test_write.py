"""The write stage: only changed files are written, failures write nothing, and only a
folder olwsite generated is ever touched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from olwsite import write as write_module
from olwsite.write import OWNER_MARK, cache_json

from .conftest import FIXTURES, make_project, run_cli


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_second_build_writes_nothing(tmp_path: Path) -> None:
    root = make_project(tmp_path, FIXTURES / "valid-curriculum")
    first = run_cli(root, "build")
    assert first.code == 0, first.err
    mtimes = {p: p.stat().st_mtime_ns for p in (root / "docs").rglob("*") if p.is_file()}
    second = run_cli(root, "build")
    assert "docs/ is up to date" in second.out
    (root / ".olwsite-cache" / "build.json").unlink()  # no manifest: everything is rendered
    third = run_cli(root, "build")
    assert " 0 written," in third.out
    assert mtimes == {p: p.stat().st_mtime_ns for p in (root / "docs").rglob("*") if p.is_file()}


def test_a_failed_build_leaves_the_previous_site_byte_identical(tmp_path: Path) -> None:
    root = make_project(tmp_path, FIXTURES / "valid-curriculum")
    assert run_cli(root, "build").code == 0
    before = _snapshot(root / "docs")
    page = root / "content" / "basics" / "attention.md"
    page.write_text(page.read_text().replace("[tokens]", "[tokenz]"), encoding="utf-8")
    failed = run_cli(root, "build")
    assert failed.code == 1 and "E301" in failed.err and "left as it was" in failed.err
    assert _snapshot(root / "docs") == before


def test_a_removed_page_is_removed_from_the_output(tmp_path: Path) -> None:
    root = make_project(tmp_path, FIXTURES / "valid-curriculum")
    assert run_cli(root, "build").code == 0
    assert (root / "docs" / "models" / "tiny-llm.md").exists()
    (root / "content" / "models" / "tiny-llm.md").unlink()
    assert run_cli(root, "build").code == 0
    assert not (root / "docs" / "models" / "tiny-llm.md").exists()
    assert not (root / "docs" / "models").exists()


def test_refuses_a_docs_folder_it_did_not_generate(tmp_path: Path) -> None:
    root = make_project(tmp_path, FIXTURES / "valid-curriculum")
    (root / "docs").mkdir()
    (root / "docs" / "precious.md").write_text("mine", encoding="utf-8")
    run = run_cli(root, "build")
    assert run.code == 2 and "did not generate" in run.err
    assert (root / "docs" / "precious.md").read_text() == "mine"
    assert not (root / "docs" / OWNER_MARK).exists()


def test_refuses_a_docs_dir_that_overlaps_content(tmp_path: Path) -> None:
    root = make_project(tmp_path, FIXTURES / "valid-curriculum")
    (root / "mkdocs.yml").write_text("site_name: x\ndocs_dir: content\n", encoding="utf-8")
    run = run_cli(root, "build")
    assert run.code == 2
    (root / "mkdocs.yml").write_text("site_name: x\ndocs_dir: content/out\n", encoding="utf-8")
    run = run_cli(root, "build")
    assert run.code == 2 and "overlaps content/" in run.err
    assert not (root / "content" / "out").exists()


def test_an_interrupted_write_leaves_the_previous_site_byte_identical(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(tmp_path, FIXTURES / "valid-curriculum")
    assert run_cli(root, "build").code == 0
    before = _snapshot(root / "docs")
    page = root / "content" / "basics" / "tokens.md"
    page.write_text(page.read_text().replace("title: Tokens", "title: Tokenizers"),
                    encoding="utf-8")  # a title shows on many pages: several files change
    real_stage = write_module._stage
    calls = []

    def stage_then_interrupt(path: Path, data: bytes) -> str:
        calls.append(path)
        if len(calls) == 2:  # Ctrl-C arrives while the second changed file is staged
            raise KeyboardInterrupt
        return real_stage(path, data)

    monkeypatch.setattr(write_module, "_stage", stage_then_interrupt)
    run = run_cli(root, "build")
    assert run.code == 130 and "nothing was written" in run.err
    assert _snapshot(root / "docs") == before  # no temporary file left behind either


@pytest.mark.parametrize("value", ["plain", "é ≈ 84M", "lone \ud800 surrogate from a YAML escape"])
def test_cache_files_round_trip_any_text(value: str) -> None:
    data = {"b": [1, {"z": value}], "a": None}
    encoded = cache_json(data)
    assert json.loads(encoded.decode("utf-8")) == data
    assert encoded == cache_json({"a": None, "b": [1, {"z": value}]})  # sorted keys
