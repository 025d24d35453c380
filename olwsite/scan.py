"""Scanning a page body: its parts (check blocks, inline numbers, links, placeholders),
its math problems and the digest of its claims, memoised by the page's text.

The build process scans bodies in the check stage, sending each page's claims on to the
verifier. In a cold build on two cores, a forked helper scans the bodies of part of the
pages ahead of it, while the build process parses front-matter (``Ahead``): the build
process then finds them in the memo.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import multiprocessing as mp
import multiprocessing.connection as mpc
import os
import posixpath
import signal
import sys
import threading
from collections.abc import Callable, Container
from pathlib import Path

from . import collector, verify
from .body import BodyParts, fence_text, scan_body
from .diagnostics import Diagnostic
from .mathml import convert_math
from .memo import MathProblem, PageMemo
from .paths import SrcPath

AHEAD_FROM = 300  # pages before a helper pays for its fork and its second read of them
AHEAD_SHARE = 0.45  # of the pages: its scan costs about twice a front-matter parse


def scanned(memo: PageMemo, digest: str, body: str) -> tuple[BodyParts, list[MathProblem]]:
    """The body's parts and math problems, from the memo or scanned and memoised."""
    hit = memo.body(digest, body)
    if hit is None:
        hit = scan_body(body), convert_math(body)[1]
        memo.put_body(digest, *hit)
    return hit


def page_claims(parts: BodyParts, body_first_line: int) -> verify.PageClaims:
    """The page's check blocks and inline numbers, at their places in the file."""
    blocks = tuple(
        verify.CheckBlock(fence_text(parts, f), body_first_line + f.start + 1,
                          len(f.indent) + 1)
        for f in parts.check_fences)
    inline = tuple(
        verify.InlineRef(body_first_line + s.line, s.start + 1, s.expr, s.fmt)
        for s in parts.inline)
    return verify.PageClaims(blocks, inline)


def known_claims(memo: PageMemo, digest: str, claims: Callable[[], verify.PageClaims]
                 ) -> tuple[str, frozenset[str]]:
    """verify.claims_digest and verify.claim_names of the page's claims, memoised: the
    claims are only built on a miss."""
    known = memo.claims(digest)
    if known is None:
        found = claims()
        known = verify.claims_digest(found), verify.claim_names(found)
        memo.put_claims(digest, *known)
    return known


def body_diagnostics(src: SrcPath, body_first_line: int, parts: BodyParts,
                     math: list[MathProblem], sources: Container[str]) -> list[Diagnostic]:
    """Links to pages that do not exist, math that does not typeset and scaffold
    placeholders, at their lines; ``sources`` are the paths of every page."""
    diags = []
    folder = posixpath.dirname(src)
    for link in parts.links:
        target = link.target.split("#", 1)[0]
        if not target or "://" in target or target.startswith(("mailto:", "/")):
            continue
        if not target.endswith(".md"):
            continue
        resolved = posixpath.normpath(posixpath.join(folder, target))
        if resolved not in sources:
            diags.append(Diagnostic(
                "E307", f"link to '{link.target}': no page at {resolved}", src,
                body_first_line + link.line, link.col + 1))
    for line, col, message in math:
        diags.append(Diagnostic("W601", message, src, body_first_line + line, col + 1))
    for line, col in parts.placeholder_lines:
        diags.append(Diagnostic("W202", "placeholder 'TODO' left in the page", src,
                                body_first_line + line, col + 1))
    return diags


def verdict_diagnostics(src: SrcPath, verdict: verify.PageVerdict) -> list[Diagnostic]:
    return [Diagnostic(p.code, p.message, src, p.line, p.col, hint=p.hint)
            for p in verdict.problems]


class Ahead:
    """A forked helper that scans the bodies of ``files`` missing from ``memo``; ``take``
    adds what it found to ``memo``. Nothing is lost if it fails: the build process then
    scans those pages itself."""

    def __init__(self, files: list[Path], memo: PageMemo) -> None:
        ctx = mp.get_context("fork")
        self.conn, child = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_helper, args=(child, files, memo), daemon=True,
                                name="olwsite-scan")
        self.proc.start()
        child.close()

    @staticmethod
    def start(files: list[Path], memo: PageMemo) -> Ahead | None:
        """A helper for the last share of ``files``, where forking is safe and pays."""
        if (len(files) < AHEAD_FROM or not sys.platform.startswith("linux")
                or threading.active_count() > 1):  # forking a threaded process can hang
            return None
        return Ahead(files[int(len(files) * (1 - AHEAD_SHARE)):], memo)

    def take(self, memo: PageMemo) -> None:
        try:
            with contextlib.suppress(EOFError, OSError):
                memo.absorb(self.conn.recv())
        finally:
            self.close()

    def close(self) -> None:
        self.conn.close()
        self.proc.join(timeout=1)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()


def _helper(conn: mpc.Connection, files: list[Path], memo: PageMemo) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build process's to handle
    collector.adopt_in_worker()
    from .load import body_words, front_matter, read_text  # the load stage's own rules

    found = PageMemo()
    with contextlib.suppress(Exception):  # a failure here only leaves pages to the build
        for path in files:
            text, problem = read_text(path, SrcPath(os.fspath(path)))
            if problem or text is None:
                continue
            _, body, end = front_matter(text)
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            if body is None or memo.has(digest, "body"):  # claims are memoised with it
                continue
            body_words(body, digest, found)
            parts, _ = scanned(found, digest, body)
            if parts.check_fences or parts.inline:
                known_claims(found, digest, functools.partial(page_claims, parts, end + 2))
    with contextlib.suppress(OSError):
        conn.send(found.entries())
    conn.close()
