"""Shared helpers for the olwsite.verify tests: tiny pages and a registry of facts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from olwsite.verify import CheckBlock, InlineRef, PageClaims, PageVerdict, verify_pages

FACTS: dict[str, str] = {
    "gpu_RTX4090": "24 GiB",
    "gpu_H100_80GB": "80 GiB",
    "gpu_H200": "141 GB",
    "bytes_fp16": "2 B",
    "bytes_int4": "0.5 B",
    "llama2_70b_params": "70B",
    "llama2_context": "4096",
}

# Blocks in the tests start at line 10, column 5 (a block indented inside an admonition),
# so a statement's diagnostics are at line 10 + its index, column 5 + its offset.
FIRST_LINE, COL = 10, 5


def page(text: str, inline: Iterable[InlineRef] = ()) -> PageClaims:
    return PageClaims((CheckBlock(text, FIRST_LINE, COL),), tuple(inline))


# Generous: these tests are about verdicts, not timeouts, and must not flake on a busy machine.
TIMEOUT_S = 60.0


def verify_texts(
    texts: Mapping[str, str], facts: Mapping[str, str] = FACTS, timeout_s: float = TIMEOUT_S
) -> dict[str, PageVerdict]:
    """Verify many one-block pages in one pool run (fast: one set of workers)."""
    verdicts, _, _ = verify_pages({k: page(t) for k, t in texts.items()}, facts, {},
                                  timeout_s=timeout_s)
    return verdicts


def verify_one(text: str, inline: Iterable[InlineRef] = (),
               facts: Mapping[str, str] = FACTS) -> PageVerdict:
    verdicts, _, _ = verify_pages({"p.md": page(text, inline)}, facts, {}, timeout_s=TIMEOUT_S)
    return verdicts["p.md"]
