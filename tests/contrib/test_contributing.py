"""CONTRIBUTING.md's walk-through works as written: its commands, run in order in a copy of
this project, take a new model page from `olwsite new` to a green `olwsite check --strict`,
a row in the family table and a place under "Derived topics" of each prerequisite.

The walk-through is the section "Adding a model page, step by step". In it, every ```bash
line is a command that must exit 0; the one ```markdown block is the complete page, written
to the path `olwsite new` printed; each ```text block is output, and each of its lines
(other than '...') must appear in what the command before it printed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from ..conftest import REPO, copy_real_project

CONTRIBUTING = REPO / "CONTRIBUTING.md"
SECTION = "## Adding a model page, step by step"
FENCE = re.compile(r"^(?P<ticks>`{3,})(?P<info>[\w-]*)\s*$")


@dataclass(frozen=True)
class Block:
    info: str
    text: str


def walkthrough_blocks() -> list[Block]:
    """The fenced blocks of the walk-through section, in order. Headings inside a block (the
    page's own '## …') do not end the section."""
    lines = CONTRIBUTING.read_text(encoding="utf-8").split("\n")
    blocks, inside, index = [], False, 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if line.startswith("## "):
            inside = line == SECTION
        opening = FENCE.match(line)
        if not opening:
            continue
        body = []
        while lines[index] != opening["ticks"]:  # an unclosed fence ends in IndexError
            body.append(lines[index])
            index += 1
        index += 1
        if inside:
            blocks.append(Block(opening["info"], "\n".join(body) + "\n"))
    return blocks


def split_front(text: str) -> dict[str, object]:
    head, sep, _ = text.removeprefix("---\n").partition("\n---\n")
    assert sep
    data = yaml.safe_load(head)
    assert isinstance(data, dict)
    return data


def derived_section(text: str) -> str:
    match = re.search(r"\*\*Derived topics \(\d+\)\*\*\n(.*?)(?:\n\*\*|\Z)", text, re.S)
    assert match, "the page has a 'Derived topics' box"
    return match.group(1)


def test_the_walkthrough_has_commands_and_one_complete_page() -> None:
    blocks = walkthrough_blocks()
    pages = [b for b in blocks if b.info == "markdown"]
    assert len(pages) == 1
    assert {"bash", "markdown"} <= {b.info for b in blocks} <= {"bash", "markdown", "text"}
    commands = [line for b in blocks if b.info == "bash" for line in b.text.splitlines()]
    assert any(line.startswith('olwsite new model "') for line in commands)
    assert "olwsite check --strict" in commands and "olwsite build" in commands
    assert any(line.startswith("grep ") and "docs/families.md" in line for line in commands)
    assert "TODO" not in pages[0].text


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Run the walk-through; return the project and the new page's path."""
    root = copy_real_project(tmp_path_factory.mktemp("contributing"))
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent),
                                                  os.environ.get("PATH", "")])}
    new_page: Path | None = None
    printed = ""
    for block in walkthrough_blocks():
        if block.info == "bash":
            for command in block.text.splitlines():
                if not command.strip() or command.lstrip().startswith("#"):
                    continue
                run = subprocess.run(["bash", "-c", command], cwd=root, env=env,
                                     capture_output=True, text=True, check=False)
                printed = run.stdout + run.stderr
                assert run.returncode == 0, f"`{command}` exited {run.returncode}:\n{printed}"
                if command.startswith("olwsite new "):
                    new_page = root / run.stdout.strip()
                    assert new_page.is_file()
        elif block.info == "markdown":
            assert new_page is not None, "the page block comes after `olwsite new`"
            new_page.write_text(block.text, encoding="utf-8")
        else:
            shown = [line for line in block.text.splitlines() if line.strip() != "..."]
            missing = [line for line in shown if line not in printed.splitlines()]
            assert missing == [], f"the sample output is not what the command printed:\n{printed}"
    assert new_page is not None
    return root, new_page


def test_the_new_page_is_a_row_of_the_family_table(walked: tuple[Path, Path]) -> None:
    root, page = walked
    family = split_front(page.read_text(encoding="utf-8"))["family"]
    assert isinstance(family, dict)
    link = page.relative_to(root / "content").as_posix()
    rows = [line for line in (root / "docs" / "families.md").read_text("utf-8").splitlines()
            if line.startswith(f"| [{family['name']}]({link}) |")]
    assert len(rows) == 1
    assert f"| {family['context']} | {family['license']} |" in rows[0]


def test_the_new_page_is_derived_from_each_of_its_prerequisites(
        walked: tuple[Path, Path]) -> None:
    root, page = walked
    prerequisites = split_front(page.read_text(encoding="utf-8"))["prerequisites"]
    assert isinstance(prerequisites, list) and prerequisites
    dest = root / "docs" / page.relative_to(root / "content")
    for slug in prerequisites:
        source = next((root / "content").rglob(f"{slug}.md"))
        generated = root / "docs" / source.relative_to(root / "content")
        link = Path(os.path.relpath(dest, generated.parent)).as_posix()
        assert f"]({link})" in derived_section(generated.read_text(encoding="utf-8")), slug


def test_the_new_page_is_not_in_the_committed_content() -> None:
    """The walk-through adds a page; it would stop working once that page exists."""
    name = re.search(r'^olwsite new model "([^"]+)"$', "\n".join(
        b.text for b in walkthrough_blocks() if b.info == "bash"), re.M)
    assert name
    slug = re.sub(r"[^a-z0-9]+", "-", name.group(1).lower()).strip("-")
    assert not list((REPO / "content").rglob(f"{slug}.md"))
