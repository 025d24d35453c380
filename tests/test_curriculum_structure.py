"""Every page of the project's curriculum has the parts a learner relies on: a summary,
why it matters, a worked example with checked numbers, common confusions, a core and an
advanced exercise whose solutions carry checked answers, references, and a review date."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
PAGES = sorted((REPO / "content").rglob("*.md"))
FAMILY_PAGES = ["llama-1", "llama-2", "llama-3", "llama-3-1", "llama-3-2", "llama-3-3",
                "llama-4", "mistral-and-mixtral", "deepseek-v2-v3", "deepseek-r1", "qwen",
                "gemma", "glm-5"]


def _split(path: Path) -> tuple[dict[str, object], str]:
    _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(front), body


def _exercise(body: str, level: str) -> str:
    match = re.search(rf'^!!! exercise "{level}:.*?(?=^!!! |^## |\Z)', body, re.M | re.S)
    assert match, f"no {level} exercise"
    return match.group(0)


def test_the_curriculum_has_forty_pages_and_every_family() -> None:
    assert len(PAGES) >= 40
    stems = {p.stem for p in PAGES}
    assert set(FAMILY_PAGES) <= stems
    for slug in FAMILY_PAGES:
        front, _ = _split(REPO / "content" / "models" / f"{slug}.md")
        assert isinstance(front.get("family"), dict), slug


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_page_has_every_part_a_learner_needs(path: Path) -> None:
    front, body = _split(path)
    assert front.get("summary") and front.get("last_reviewed")
    assert "TODO" not in body
    assert "## Why it matters" in body
    assert re.search(r"^## Watch out", body, re.M) and "!!! warning" in body
    assert "```check" in body.split("## Exercises")[0], "worked example without a check block"
    for level in ("Core", "Advanced"):
        exercise = _exercise(body, level)
        assert '??? solution "' in exercise and "```check" in exercise, level
    references = body.split("## References", 1)
    assert len(references) == 2 and re.search(r"^- .+\(\d{4}\)", references[1], re.M)
    words = len(re.sub(r"```.*?```", "", body, flags=re.S).split())
    assert words > 900, f"only {words} words"
