"""Live editing: while `mkdocs serve` runs, saving a page regenerates the site, including
the boxes of other pages that the edit affects, and edits to a body or a title alone
take the edit path in the server's own process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .conftest import copy_real_project, run_cli


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except OSError:
        return ""


def _wait_for(url: str, text: str, timeout: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if text in _get(url):
            return time.perf_counter() - started
        time.sleep(0.25)
    raise AssertionError(f"{text!r} did not appear at {url} within {timeout} s")


def test_saving_a_page_updates_its_own_and_other_pages(tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    assert run_cli(root, "build").code == 0
    port = _free_port()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        base = f"http://127.0.0.1:{port}"
        rmsnorm = f"{base}/foundations/rmsnorm/"
        _wait_for(rmsnorm, "Canonical graph", 90)
        # DPO now also requires RMSNorm: RMSNorm's derived topics must list it
        page = root / "content" / "training" / "dpo.md"
        text = page.read_text(encoding="utf-8")
        page.write_text(text.replace("prerequisites: [rlhf]", "prerequisites: [rlhf, rmsnorm]")
                        .replace("## Why it matters", "## Why it matters\n\nLive edit marker.", 1),
                        encoding="utf-8")
        own = _wait_for(f"{base}/training/dpo/", "Live edit marker.", 60)
        other = _wait_for(rmsnorm, "Direct preference", 60)
        # then a claim in the body alone (the body-edit path, inside the server's process)
        text = page.read_text(encoding="utf-8")
        assert "```check\n" in text
        page.write_text(text.replace("Live edit marker.", "Second live edit.", 1)
                        .replace("```check\n", "```check\n2 + 2 == 4\n", 1), encoding="utf-8")
        body = _wait_for(f"{base}/training/dpo/", "Second live edit.", 60)
        assert "2 + 2 == 4" in _get(f"{base}/training/dpo/")
        assert "(only the bodies of 1 page changed)" in (tmp_path / "serve.log").read_text()
        # and a new title, which RMSNorm's derived topics show
        text = page.read_text(encoding="utf-8")
        page.write_text(text.replace("title: ", "title: Live ", 1), encoding="utf-8")
        title = _wait_for(rmsnorm, "Live Direct preference", 60)
        assert "(only 1 page changed, not the graph)" in (tmp_path / "serve.log").read_text()
        print(f"live update: own page {own:.1f} s, dependent box {other:.1f} s, "
              f"body edit {body:.1f} s, title edit {title:.1f} s")
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
