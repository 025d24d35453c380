"""Browser fixtures: the real project built once, served on 127.0.0.1, and Debian's
Chromium driven by Playwright with every request that would leave the machine aborted
and reported. Nothing is downloaded: ``playwright install`` is never run."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from ..conftest import REPO, copy_real_project, run_cli

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LOCAL_SCHEMES = ("data", "blob", "about")  # never leave the browser


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the base names it format
        pass


@dataclass
class Site:
    root: Path  # the project copy; site/ holds the built HTML
    url: str  # http://127.0.0.1:<port>/
    host: str  # 127.0.0.1:<port>
    build_seconds: dict[str, float] = field(default_factory=dict)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = copy_real_project(tmp_path_factory.mktemp("browser"))
    started = time.perf_counter()
    run = run_cli(root, "build")
    assert run.code == 0, run.err
    built = time.perf_counter()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build"], cwd=root, env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    done = time.perf_counter()
    handler = functools.partial(_QuietHandler, directory=str(root / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        yield Site(root, f"http://127.0.0.1:{port}/", f"127.0.0.1:{port}",
                   {"olwsite build": built - started, "mkdocs build": done - built})
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="session")
def browser_context(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")  # fresh: no cache, no history
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1280, "height": 800}, service_workers="block")
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()


@dataclass
class Requests:
    host: str
    seen: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def leaves(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme not in LOCAL_SCHEMES and parts.netloc != self.host


@pytest.fixture
def requests(site: Site) -> Requests:
    return Requests(site.host)


@pytest.fixture
def page(browser_context: Any, site: Site, requests: Requests) -> Iterator[Any]:
    """A fresh tab; any request to anywhere but the local server is aborted, and the test
    fails at teardown if there was one."""
    def guard(route: Any) -> None:
        url = route.request.url
        if requests.leaves(url):
            requests.blocked.append(url)
            route.abort()
        else:
            route.continue_()

    tab = browser_context.new_page()
    errors: list[str] = []
    tab.on("request", lambda request: requests.seen.append(request.url))
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.route("**/*", guard)
    try:
        yield tab
    finally:
        tab.close()
    outside = [u for u in requests.seen if requests.leaves(u)]
    assert not requests.blocked and not outside, f"requests left 127.0.0.1: {outside}"
    assert not errors, f"JavaScript errors: {errors}"
