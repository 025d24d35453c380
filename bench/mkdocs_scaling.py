"""Is `mkdocs build` linear in the number of topics on olwsite's output?

Generates synthetic curricula (default 1,000 and 3,000 topics), runs `olwsite build` and
then `mkdocs build` on each, and prints wall times and the ratio. Linear scaling predicts a
ratio near 3 for 3x the topics; a flat nav of every page would make it about 7.

    python bench/mkdocs_scaling.py [--sizes 1000 3000] [--workdir /tmp/olwsite-bench]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from olwsite.synthetic import generate

REPO = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000])
    parser.add_argument("--edges", type=float, default=7.3, help="prerequisites per topic")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/olwsite-bench"))
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        root = args.workdir / f"t{size}"
        pages, edges = generate(root, size, args.edges, REPO)
        olw = timed([sys.executable, "-m", "olwsite", "build", "--quiet"], root)
        mk = timed([sys.executable, "-m", "mkdocs", "build", "--quiet"], root)
        html = sum(p.stat().st_size for p in (root / "site").rglob("*.html"))
        rows.append((size, edges, olw, mk, html))
    print(f"{'topics':>7} {'edges':>7} {'olwsite build':>14} {'mkdocs build':>13} {'HTML MB':>8}")
    for size, edges, olw, mk, html in rows:
        print(f"{size:>7} {edges:>7} {olw:>13.1f}s {mk:>12.1f}s {html / 1e6:>8.1f}")
    if len(rows) >= 2:
        (s0, _, _, m0, _), (s1, _, _, m1, _) = rows[0], rows[-1]
        print(f"mkdocs time ratio {s1}/{s0} topics: {m1 / m0:.2f} (linear: {s1 / s0:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
