"""Figures for olwsite.verify (a script, not a test): python tests/verify/bench_verify.py"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[2]), str(Path(__file__).parent)]

from verify_support import FACTS, page  # noqa: E402

from olwsite.verify import PageClaims, runner, verify_pages  # noqa: E402

TYPICAL = (
    "params = 70B\nfp16 = params * 2 B\nfp16 == 140 GB\nlora = 2 * 64 * 8192 * 80\n"
    "lora ≈ 84M\nlora / 70B ≈ 0.12%\nneed = 70B * 2 B\nceil(need / gpu_RTX4090) == 6\n"
    "kv = 2 * 80 * 8 * 128 * 4096 * 2 B\nkv ≈ 1.34 GB\nceil(140 GB / gpu_H100_80GB) == 2"
)
PROOF = ('x, D = symbols("x D", positive=True)\nmse = integrate(x**2, (x, -D/2, D/2)) / D\n'
         "mse == D**2 / 12")


def timed(label: str, pages: Mapping[str, PageClaims], cache: Mapping[str, Any] | None = None,
          jobs: int = 2, timeout_s: float = 5.0) -> dict[str, dict[str, Any]]:
    started = time.perf_counter()
    _, new_cache, stats = verify_pages(pages, FACTS, cache or {}, jobs=jobs, timeout_s=timeout_s)
    elapsed = time.perf_counter() - started
    print(f"{label:52} {elapsed * 1000:8.1f} ms  ({stats.verified} verified, "
          f"{stats.cached} cached, {stats.claims} claims)")
    return new_cache


def main() -> None:
    started = time.perf_counter()
    runner.warm_up()
    print(f"{'warm-up in the build process (import + first use)':52} "
          f"{(time.perf_counter() - started) * 1000:8.1f} ms")
    timed("1 typical page (11 claims)", {"a": page(TYPICAL)})
    timed("1 trivial page (1 claim): worker overhead", {"a": page("1 == 1")})
    timed("1 page with the MSE integral proof", {"a": page(PROOF)})
    many = {f"p{i}": page(TYPICAL if i % 5 else PROOF) for i in range(200)}
    cache = timed("200 pages, 2 workers", many)
    timed("200 pages, 2 workers, all cached", many, cache=cache)
    timed("200 pages, 1 worker", many, jobs=1)
    hang = page("x = symbols('x')\ny = integrate(exp(x**x**x), x)")
    timed("hanging integral, timeout 1 s", {"h": hang}, timeout_s=1.0)
    timed("9**9**9 (refused before computing)", {"h": page("y = 9**9**9")})


if __name__ == "__main__":
    main()
