"""Rendered pages of the valid-curriculum fixture match their golden files.

After an intended change to templates or rendering, regenerate with
`UPDATE_GOLDEN=1 pytest tests/test_golden.py` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import FIXTURES, make_project, run_cli

GOLDEN = Path(__file__).resolve().parent / "golden" / "valid-curriculum"
PAGES = ["basics/attention.md", "models/tiny-llm.md", "before/tiny-llm.md", "families.md",
         "basics/index.md"]


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("golden"), FIXTURES / "valid-curriculum")
    run = run_cli(root, "build")
    assert run.code == 0, run.err
    return root / "docs"


@pytest.mark.parametrize("page", PAGES)
def test_rendered_page_matches_golden(docs: Path, page: str) -> None:
    got = (docs / page).read_text(encoding="utf-8")
    golden = GOLDEN / page
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(got, encoding="utf-8")
    assert got == golden.read_text(encoding="utf-8")
