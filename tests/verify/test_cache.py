"""The cache: same verdicts, no sympy work on a hit, invalidated by exactly what matters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from olwsite.verify import PageVerdict, runner, verify_pages

from .verify_support import FACTS, page

PAGES = {
    "a.md": page("need = 70B * 2 B\nceil(need / gpu_RTX4090) == 6\nneed ≈ 150 GB"),
    "b.md": page('x, D = symbols("x D", positive=True)\n'
                 "integrate(x**2, (x, -D/2, D/2)) / D == D**2 / 12"),
    "c.md": page("y = gpu_H100_80G * 2"),  # unknown name, hinted from the fact names
}


def _no_work(*_: Any, **__: Any) -> None:
    raise AssertionError("a cache hit must not analyze or evaluate")


@pytest.fixture(scope="module")
def first() -> tuple[dict[str, PageVerdict], dict[str, dict[str, Any]]]:
    verdicts, cache, stats = verify_pages(PAGES, FACTS, {})
    assert (stats.verified, stats.cached) == (3, 0)
    return verdicts, cache


def test_hit_gives_the_same_verdicts_without_work(
        first: tuple[dict[str, PageVerdict], dict[str, dict[str, Any]]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    verdicts, cache = first
    monkeypatch.setattr(runner._Pool, "add", _no_work)
    monkeypatch.setattr(runner, "analyze_page", _no_work)
    monkeypatch.setattr(runner, "_context", _no_work)
    again, cache2, stats = verify_pages(PAGES, FACTS, json.loads(json.dumps(cache)))
    assert again == verdicts
    assert cache2 == cache
    assert (stats.pages, stats.verified, stats.cached) == (3, 0, 3)
    assert stats.claims == sum(len(v.records) for v in verdicts.values())


def test_verdicts_survive_json(first: tuple[dict[str, PageVerdict], Any]) -> None:
    for verdict in first[0].values():
        assert PageVerdict.from_json(json.loads(json.dumps(verdict.to_json()))) == verdict
    assert first[0]["a.md"].problems[0].code == "E401"
    assert first[0]["c.md"].problems[0].hint == "did you mean 'gpu_H100_80GB'?"


def test_changing_a_fact_the_page_reads_invalidates_only_that_page(
        first: tuple[Any, dict[str, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch) -> None:
    cache = first[1]
    facts = {**FACTS, "gpu_RTX4090": "16 GiB"}
    calls: list[list[str]] = []
    real = runner._Pool.add

    def recording(pool: Any, job: Any) -> None:
        calls.append(job.key)
        real(pool, job)

    monkeypatch.setattr(runner._Pool, "add", recording)
    verdicts, _, _ = verify_pages(PAGES, facts, cache)
    assert calls == ["a.md"]
    assert "ceil(need / gpu_RTX4090) = 9" in verdicts["a.md"].problems[0].message


def test_new_fact_names_invalidate_pages_whose_hints_used_them(
        first: tuple[Any, dict[str, dict[str, Any]]]) -> None:
    facts = {**FACTS, "gpu_B200": "180 GB"}
    _, _, stats = verify_pages(PAGES, facts, first[1])
    assert (stats.verified, stats.cached) == (1, 2)  # c.md's hint listed the fact names


@pytest.mark.parametrize("what", ["LANGUAGE_VERSION", "sympy_version"])
def test_versions_are_part_of_the_key(first: tuple[Any, dict[str, dict[str, Any]]],
                                      monkeypatch: pytest.MonkeyPatch, what: str) -> None:
    if what == "LANGUAGE_VERSION":
        monkeypatch.setattr(runner, "LANGUAGE_VERSION", "test")
    else:
        monkeypatch.setattr(runner, "sympy_version", lambda: "0.0")
    def not_run(_pool: Any, job: Any) -> None:
        job.cacheable = False

    monkeypatch.setattr(runner._Pool, "add", not_run)
    _, _, stats = verify_pages(PAGES, FACTS, first[1])
    assert stats.cached == 0


def test_moving_a_block_invalidates(first: tuple[Any, dict[str, dict[str, Any]]]) -> None:
    from olwsite.verify import CheckBlock, PageClaims

    moved = {"a.md": PageClaims((CheckBlock(PAGES["a.md"].blocks[0].text, 11, 5),))}
    verdicts, new_cache, stats = verify_pages(moved, FACTS, first[1])
    assert stats.cached == 0
    assert verdicts["a.md"].problems[0].line == 13
    assert set(new_cache) == {"a.md"}  # only entries for the pages given


@pytest.mark.parametrize("entry", [
    None, 3, "x", {}, {"digest": "0"}, {"verdict": {}},
    {"verdict": {"problems": "x", "records": [], "inline": []}},
    {"verdict": {"problems": [{"line": "1"}], "records": [], "inline": []}},
    {"verdict": {"problems": [], "records": [{"line": 1, "source": "", "kind": "binding",
                                              "ok": True, "shown": "", "extra": 1}],
                 "inline": []}},
    {"verdict": {"problems": [], "records": [], "inline": [1]}},
])
def test_damaged_entries_are_misses(first: tuple[Any, dict[str, dict[str, Any]]],
                                    entry: Any) -> None:
    cache: dict[str, Any] = dict(first[1])
    if isinstance(entry, dict) and "verdict" in entry:
        entry = {**cache["b.md"], **entry}
    cache["b.md"] = entry
    verdicts, new_cache, stats = verify_pages({"b.md": PAGES["b.md"]}, FACTS, cache)
    assert stats.verified == 1 and verdicts["b.md"] == first[0]["b.md"]
    assert new_cache["b.md"] == first[1]["b.md"]


def test_a_cache_hit_never_imports_sympy(first: tuple[Any, dict[str, dict[str, Any]]],
                                         tmp_path: Path) -> None:
    cache_file = tmp_path / "cache.json"
    cache_file.write_text(json.dumps(first[1]))
    script = textwrap.dedent(f"""
        import json, sys
        sys.path[:0] = [{str(Path(__file__).parent)!r}]
        from verify_support import FACTS, page
        from olwsite.verify import verify_pages
        pages = {{k: page(t) for k, t in {dict((k, p.blocks[0].text)
                                             for k, p in PAGES.items())!r}.items()}}
        _, _, stats = verify_pages(pages, FACTS, json.load(open({str(cache_file)!r})))
        assert stats.cached == 3, stats
        assert "sympy" not in sys.modules
        print("ok")
    """)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=60, check=False)
    assert out.stdout.strip() == "ok", out.stderr
