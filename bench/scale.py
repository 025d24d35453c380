"""Scale benchmark: olwsite on synthetic curricula of growing size.

For each size it generates a curriculum (olwsite.synthetic: realistic pages with prose,
math, check blocks and exercises; prerequisites shaped like a real curriculum), then
measures wall time and peak memory (this process and its verification workers) of:
`olwsite check` cold, `olwsite build` cold (no cache, no output), warm (nothing changed),
`olwsite check` and `olwsite build` after editing one page's body, `olwsite build` after
editing one page's title, and `mkdocs build` of the result (up to --mkdocs-up-to topics).

    python bench/scale.py [--sizes 600 3000 10000] [--workdir /tmp/olwsite-scale]

Prints a table; BENCHMARKS.md records its output with the machine it came from. Timing
varies between machines and between runs on one machine, so the run also times a fixed
baseline (a fresh interpreter doing fixed Python work: JSON, sorting, hashing, text) at
its start and end, and judges the scale issue's targets at 10,000 topics against limits
scaled by this machine's baseline over that of the machine BENCHMARKS.md was run on.
"""

from __future__ import annotations

import argparse
import compileall
import itertools
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from olwsite.synthetic import generate

REPO = Path(__file__).resolve().parent.parent
# Runs one command in a fresh interpreter and reports its peak RSS (self and children).
MEASURE = """
import resource, runpy, sys
argv = sys.argv[1:]
sys.argv = argv
code = 0
try:
    runpy.run_module(argv[0], run_name="__main__")
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else 1
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
           resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print("PEAK_KIB", peak, file=sys.stderr)
sys.exit(code)
"""


def measure(args: list[str], cwd: Path) -> tuple[float, float, int]:
    """(seconds, peak MiB, exit code) of `python -m <args>` run in ``cwd``."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", MEASURE, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    peak = next((int(line.split()[1]) for line in proc.stderr.splitlines()
                 if line.startswith("PEAK_KIB")), 0)
    return seconds, peak / 1024, proc.returncode


# Where a build's time goes: the pipeline's own stage timer, in a fresh interpreter.
STAGES = """
import json, sys
from pathlib import Path
from olwsite.project import find_project
from olwsite.pipeline import run
from olwsite.state import intact_keys, read_manifest
project = find_project(Path("."))
reuse = intact_keys(project, read_manifest(project)) if sys.argv[1] == "incremental" else {}
stats = run(project, reuse=reuse).stats
print(json.dumps({k: round(v, 2) for k, v in stats.stage_seconds.items()}))
"""


# A fixed workload in a fresh interpreter, of the kinds of work olwsite does.
BASELINE = """
import hashlib, json
pages = [{"slug": f"topic-{i:05d}", "title": f"Topic {i} " * 3, "n": i * 7919 % 1009}
         for i in range(150_000)]
back = json.loads(json.dumps(pages))
back.sort(key=lambda page: (page["n"], page["slug"]))
text = "\\n".join(f"- [{p['title'].strip()}](../{p['slug']}.md) · {p['n']}" for p in back)
hashlib.blake2b(text.encode()).hexdigest()
"""
# the baseline's seconds (best of three) on the machine of BENCHMARKS.md: 1.40, 1.42,
# 1.455 s in three runs on 2026-11-27
REFERENCE_BASELINE_S = 1.42
# the scale issue's targets at 10,000 topics: seconds, or MiB for memory
TARGETS = [("build cold", 15.0), ("build warm", 1.0), ("build 1 edit", 1.0),
           ("build 1 title", 1.0), ("check (cold)", 3.0), ("check warm", 3.0),
           ("check 1 edit", 3.0)]
MEMORY_TARGET_MIB = 1024


def baseline() -> float:
    """Seconds for the fixed workload in a fresh interpreter, best of three."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", BASELINE], check=True)
        times.append(time.perf_counter() - started)
    return min(times)


def judge(row: dict[str, object], factor: float) -> None:
    """Print each target at 10,000 topics against its limit scaled by ``factor``."""
    print(f"\ntargets at {row['topics']} topics, time limits × {factor:.2f} (this machine's "
          "baseline over the reference machine's):")
    for name, limit in TARGETS:
        seconds = row[name][0]  # type: ignore[index]
        scaled = limit * factor
        print(f"  {name:<14} {seconds:7.2f} s  limit {scaled:6.2f} s  "
              f"{'met' if seconds <= scaled else 'NOT MET'}")
    peak = max(value[1] for value in row.values()
               if isinstance(value, (tuple, list)) and len(value) == 3)
    print(f"  {'peak memory':<14} {peak:7.0f} MiB limit {MEMORY_TARGET_MIB} MiB  "
          f"{'met' if peak <= MEMORY_TARGET_MIB else 'NOT MET'}")


def stages(root: Path, mode: str) -> dict[str, float]:
    proc = subprocess.run([sys.executable, "-c", STAGES, mode], cwd=root, check=True,
                          capture_output=True, text=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def edit_one_page(root: Path, front_matter: bool = False) -> None:
    """Add a sentence to the body of the middle page (or, with ``front_matter``, a word to
    its title, which every page that lists it shows)."""
    pages = sorted((root / "content").rglob("*.md"))
    page = pages[len(pages) // 2]
    text = page.read_text(encoding="utf-8")
    if front_matter:
        text = text.replace("title: ", "title: Edited ", 1)
    else:
        text = text.replace("## Why it matters\n", "## Why it matters\n\nEdited.\n", 1)
    page.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[600, 3000, 10000])
    parser.add_argument("--edges", type=float, default=7.3, help="prerequisites per topic")
    parser.add_argument("--mkdocs-up-to", type=int, default=3000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/olwsite-scale"))
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")
    # as the README's install does: with PYTHONDONTWRITEBYTECODE set, nothing else would
    # store olwsite's bytecode, and every command would compile it again (~0.1 s)
    compileall.compile_dir(REPO / "olwsite", quiet=1)
    start_baseline = baseline()
    print(f"baseline: {start_baseline:.3f} s (reference machine: {REFERENCE_BASELINE_S} s)")
    results = []
    for size in args.sizes:
        root = args.workdir / f"t{size}"
        _, edges = generate(root, size, args.edges, REPO)
        shutil.rmtree(root / ".olwsite-cache", ignore_errors=True)
        row: dict[str, object] = {"topics": size, "edges": edges}
        row["check (cold)"] = measure(["olwsite", "check"], root)
        shutil.rmtree(root / ".olwsite-cache", ignore_errors=True)
        row["build cold"] = measure(["olwsite", "build", "--quiet"], root)
        row["build warm"] = measure(["olwsite", "build", "--quiet"], root)
        row["check warm"] = measure(["olwsite", "check"], root)
        edit_one_page(root)
        row["check 1 edit"] = measure(["olwsite", "check"], root)
        row["build 1 edit"] = measure(["olwsite", "build", "--quiet"], root)
        edit_one_page(root, front_matter=True)
        row["build 1 title"] = measure(["olwsite", "build", "--quiet"], root)
        if size <= args.mkdocs_up_to:
            row["mkdocs build"] = measure(["mkdocs", "build", "--quiet"], root)
        edit_one_page(root)
        row["stages, full pipeline after 1 edit"] = stages(root, "incremental")
        shutil.rmtree(root / ".olwsite-cache", ignore_errors=True)
        row["stages, cold"] = stages(root, "cold")
        results.append(row)
        print(f"\n{size} topics, {edges} edges")
        for name, value in row.items():
            if isinstance(value, tuple):
                seconds, peak, code = value
                print(f"  {name:<14} {seconds:7.2f} s  {peak:7.0f} MiB  exit {code}")
            elif isinstance(value, dict):
                print(f"  {name}: " + ", ".join(f"{k} {v:.2f} s" for k, v in value.items()))
    mk = [(r["topics"], r["mkdocs build"][0]) for r in results if "mkdocs build" in r]
    for (n0, t0), (n1, t1) in itertools.pairwise(mk):
        print(f"mkdocs build {n1}/{n0} topics: time ratio {t1 / t0:.2f} "
              f"(linear would be {n1 / n0:.2f})")
    end_baseline = baseline()
    machine = (start_baseline + end_baseline) / 2
    print(f"baseline: {start_baseline:.3f} s at the start, {end_baseline:.3f} s at the end")
    for row in results:
        if row["topics"] == 10_000:
            judge(row, machine / REFERENCE_BASELINE_S if REFERENCE_BASELINE_S else 1.0)
    results.append({"baseline": [start_baseline, end_baseline]})
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
