"""Workers: parallel pages, timeouts, crashes, order, and the start methods."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from olwsite.verify import (
    CheckBlock,
    InlineRef,
    PageClaims,
    PageVerdict,
    check_fact,
    evaluate,
    runner,
    verify_pages,
)
from olwsite.verify.analyze import PagePlan

from .verify_support import FACTS, page


def test_many_pages_keep_their_order_and_results() -> None:
    pages = {f"p{i}.md": page(f"a = {i} GB\na == {i} GB\na * 2 == {2 * i + (i == 7)} GB")
             for i in range(20)}
    verdicts, _, stats = verify_pages(dict(reversed(pages.items())), FACTS, {}, jobs=3)
    assert list(verdicts) == list(reversed(pages))
    assert [k for k, v in verdicts.items() if v.problems] == ["p7.md"]
    assert (stats.pages, stats.verified, stats.claims) == (20, 20, 60)


def test_pages_without_claims_need_no_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner._Pool, "add", lambda *a: pytest.fail("no worker needed"))
    verdicts, cache, stats = verify_pages({"e.md": PageClaims(())}, FACTS, {})
    assert verdicts["e.md"] == PageVerdict((), (), ())
    assert set(cache) == {"e.md"} and (stats.verified, stats.cached) == (1, 0)


def test_a_comment_only_block_has_no_records() -> None:
    verdicts, _, _ = verify_pages({"c.md": page("# only a comment\n\n")}, FACTS, {})
    assert verdicts["c.md"] == PageVerdict((), (), ())


def test_hanging_pages_time_out_in_parallel() -> None:
    hang = "x = symbols('x')\ny = integrate(exp(x**x**x), x)"
    pages = {"h1": page(hang), "h2": page(hang), "ok": page("1 + 1 == 2")}
    started = time.perf_counter()
    verdicts, _, _ = verify_pages(pages, {}, {}, timeout_s=1.0, jobs=2)
    elapsed = time.perf_counter() - started
    assert elapsed < 6  # two 1 s timeouts side by side (not 2 x 30 s), then the quick page
    assert [p.code for p in verdicts["h1"].problems] == ["E408"]
    assert [p.code for p in verdicts["h2"].problems] == ["E408"]
    assert verdicts["ok"].problems == ()




def _force_plain_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests patch the evaluator in this process, which only workers forked from it
    see. Threads left by other tests (a served site) would make the runner use its fork
    server instead, whose workers never saw the patch."""
    monkeypatch.setattr(runner.threading, "active_count", lambda: 1)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork to patch the worker")
def test_a_dead_worker_is_replaced_and_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    _force_plain_fork(monkeypatch)
    real = evaluate.iter_page
    monkeypatch.setattr(evaluate, "iter_page", lambda plan, facts: _crashing_with(real, plan,
                                                                                  facts))
    pages = {"boom": page("a = 1\nb = 2\nc = 3 # CRASH"), "fine": page("2 == 2"),
             "after": page("3 == 3")}
    verdicts, cache, _ = verify_pages(pages, {}, {}, jobs=1)
    (problem,) = verdicts["boom"].problems
    assert (problem.code, problem.line) == ("E407", 11)
    assert "died" in problem.message and "1 later claim(s)" in problem.message
    # results not yet sent when the worker died (it sends in batches) are not claimed
    records = verdicts["boom"].records
    assert [r.ok for r in records] == [False, False, False]
    assert all(r.shown.endswith("(not checked)") for r in records)
    assert verdicts["fine"].problems == () and verdicts["after"].problems == ()
    assert "boom" not in cache and "fine" in cache


def _crashing_with(real: Any, plan: PagePlan, facts: Any) -> Iterator[Any]:
    for event in real(plan, facts):
        yield event
        if event.kind == "begin" and "CRASH" in plan.statements[-1].text and event.line == 11:
            os._exit(3)  # what the OOM killer or a segfault looks like from outside


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork to patch the worker")
def test_a_bug_in_the_evaluator_is_a_diagnostic(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(plan: PagePlan, facts: Any) -> Iterator[Any]:
        raise RuntimeError("boom")
        yield

    _force_plain_fork(monkeypatch)
    monkeypatch.setattr(evaluate, "iter_page", broken)
    verdicts, _, _ = verify_pages({"p": page("1 == 1")}, {}, {})
    (problem,) = verdicts["p"].problems
    assert problem.code == "E409" and "internal error" in problem.message


def test_inline_refs_at_the_end_of_the_page() -> None:
    claims = page("a = 3 GB", [InlineRef(2, 4, "a", "GB"), InlineRef(3, 1, "a", "MB:0")])
    verdicts, _, _ = verify_pages({"p": claims}, {}, {})
    assert verdicts["p"].inline == ("3 GB", "3,000 MB")


def test_with_threads_running_workers_come_from_a_fork_server() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        ctx = runner._context()
        verdicts, _, _ = verify_pages({"p": page("sqrt(2) ≈ 1.41")}, {}, {})
    finally:
        stop.set()
        thread.join()
    assert ctx.get_start_method() in ("forkserver", "spawn")
    assert verdicts["p"].problems == ()


@pytest.mark.parametrize(("text", "ok"), [
    ("80 GiB", True), ("70B", True), ("4096", True), ("2 B", True), ("0.5 B", True),
    ("3.35 TB/s", True), ("-3", True), ("80 GiBs", False), ("abc", False), ("", False),
    ("1e5000", False), ("2 * 3", False), ("80 GiB ± 1", False),
])
def test_check_fact(text: str, ok: bool) -> None:
    assert (check_fact(text) is None) == ok


def test_blocks_keep_their_own_positions() -> None:
    claims = PageClaims((CheckBlock("a = 1", 3, 1), CheckBlock("\n\n  a == 2", 40, 9)))
    verdicts, _, _ = verify_pages({"p": claims}, {}, {})
    (problem,) = verdicts["p"].problems
    assert (problem.line, problem.col, problem.code) == (42, 11, "E401")
