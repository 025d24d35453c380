"""The project's own curriculum: it checks clean, renders boxes that agree with the
graph, carries every family row, and builds with `mkdocs build --strict`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from .conftest import built_real_project, run_cli

REFERENCE_FAMILIES = ("LLaMA 1", "Llama 2", "Llama 3", "Llama 3.1", "Llama 3.2", "Llama 3.3",
                      "Llama 4", "Mistral", "DeepSeek-V2", "DeepSeek-R1", "Qwen", "Gemma",
                      "GLM-5")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_real_project(tmp_path_factory.mktemp("site"))


def test_the_content_checks_clean_even_strictly(built: Path) -> None:
    run = run_cli(built, "check", "--strict")
    assert run.code == 0, run.err
    assert "0 errors, 0 warnings" in run.out


def _box_section(text: str, heading: str) -> list[str]:
    match = re.search(rf"\*\*{heading} \((\d+)\)\*\*\n\n(.*?)(?:\n\n\*\*|\n\n\[)", text, re.S)
    assert match, heading
    slugs = re.findall(r"^- \[[^\]]*\]\(([^)]+)\)", match.group(2), re.M)
    assert len(slugs) == int(match.group(1))
    return sorted(Path(link).stem for link in slugs)


def test_every_page_box_matches_the_graph(built: Path) -> None:
    data = json.loads(run_cli(built, "graph", "--format", "json").out)
    prereqs: dict[str, list[str]] = {n["id"]: [] for n in data["nodes"]}
    derived: dict[str, list[str]] = {n["id"]: [] for n in data["nodes"]}
    for edge in data["links"]:
        prereqs[edge["target"]].append(edge["source"])
        derived[edge["source"]].append(edge["target"])
    assert len(prereqs) >= 10
    for node in data["nodes"]:
        page = built / "docs" / node["track"] / f"{node['id']}.md"
        text = page.read_text(encoding="utf-8")
        assert _box_section(text, "Required prerequisites") == sorted(prereqs[node["id"]])
        assert _box_section(text, "Derived topics") == sorted(derived[node["id"]])


def test_the_family_table_holds_every_reference_family(built: Path) -> None:
    table = (built / "docs" / "families.md").read_text(encoding="utf-8")
    rows = [line for line in table.splitlines() if line.startswith("| [")]
    for family in REFERENCE_FAMILIES:
        row = next((r for r in rows if r.startswith(f"| [{family}")), None)
        assert row is not None, family
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        _name, year, sizes, architecture, context, licence = cells[:6]
        assert year and sizes and architecture and context and licence, row
    hub = (built / "docs" / "models" / "llama-and-open-weight-models.md").read_text("utf-8")
    assert all(f"| [{family}" in hub for family in REFERENCE_FAMILIES)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and ((tag == "a" and name == "href") or
                          (tag in ("link", "script", "img") and name in ("href", "src"))):
                self.links.append(value)


def test_mkdocs_build_strict_has_no_broken_internal_links(built: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=built,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    site = built / "site"
    broken = []
    pages = list(site.rglob("*.html"))
    assert len(pages) > 50
    for page in pages:
        if page.name == "404.html":
            continue  # Material writes it with root-absolute links, for any URL depth
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path:
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {link}")
    assert not broken, broken[:20]
