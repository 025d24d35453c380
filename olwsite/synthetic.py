"""Synthetic curricula for benchmarks and scale tests: N topics with realistic pages
(prose, math, check blocks, exercises, links) and a prerequisite DAG of a chosen density.

Deterministic for a given seed. Writes a complete project folder (content/, graph/,
templates/ copied from a source project, mkdocs.yml with the same theme settings).
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

TRACKS = ("foundations", "training", "efficiency", "deployment", "models")
WORDS = (
    "attention cache head layer token weight gradient expert router adapter rank "
    "quantization scale group outlier memory bandwidth throughput latency batch context "
    "window rotation embedding vocabulary residual normalisation activation gate sparse "
    "dense parameter optimizer schedule warmup reward policy preference sample decode "
    "prefill kernel tensor matrix vector precision format budget benchmark"
).split()


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(9, 18))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _paragraph(rng: random.Random, sentences: int = 5) -> str:
    return " ".join(_sentence(rng) for _ in range(sentences))


def page_text(index: int, slug: str, prereqs: list[str], tier: int, track_of: dict[str, str],
              track: str, rng: random.Random) -> str:
    a, b, r = rng.randint(2, 64), rng.randint(2, 9), rng.choice([8, 16, 32, 64])
    d = rng.choice([1024, 2048, 4096, 8192])
    params = rng.randint(1, 400)
    links = "".join(
        f" See [{p}]({'' if track_of[p] == track else '../' + track_of[p] + '/'}{p}.md)."
        for p in prereqs[:2])
    return f"""---
title: Topic {index} {rng.choice(WORDS)} {rng.choice(WORDS)}
summary: {_sentence(rng)}
tier: {tier}
layer: "{rng.choice(['1', '2', '3'])}"
reading_time: {rng.randint(5, 40)}
prerequisites: [{", ".join(prereqs)}]
last_reviewed: 2026-10-01
---
## Why it matters

{_paragraph(rng)}{links}

## The idea

{_paragraph(rng, 7)}

$$
\\mathrm{{cost}} = 2 \\cdot d \\cdot r = {2 * d * r}
$$

{_paragraph(rng, 6)} The adapter holds {{= lora | K =}} parameters.

!!! theorem "Proposition {index}"
    **Statement.** {_sentence(rng)}

    **Proof sketch.** {_sentence(rng)}

## Worked example

{_paragraph(rng, 4)}

```check
lora = 2 * {d} * {r}
lora == {2 * d * r}
params = {params}B
fp16 = params * 2 B
fp16 == {params * 2} GB
ratio = lora / params
ratio < 1
```

## Watch out

!!! warning "A common confusion"
    {_paragraph(rng, 3)}

## Exercises

!!! exercise "Core: {a} times {b}"
    {_sentence(rng)}

    ??? solution "Solution"
        {_sentence(rng)}

        ```check
        {a} * {b} == {a * b}
        ```

!!! exercise "Advanced: a bound"
    {_sentence(rng)}

    ??? solution "Solution"
        ```check
        ceil({params * 2} GB / (80 GiB)) >= 1
        ```

## References

- Author et al., "Paper {index}" (2024), arXiv:2401.{index % 10000:05d}
"""


MODULE_SIZE = 25  # topics per module: a sub-area such as "attention variants"
MAX_DEPTH = 5  # modules build on a parent module, at most this many levels deep


def plan(topics: int, edges_per_topic: float, rng: random.Random) -> tuple[
        list[list[int]], list[int]]:
    """Prerequisites and tiers for ``topics`` topics, shaped like a real curriculum.

    Topics come in modules; a topic requires a few earlier topics of its own module and
    one to three of its module's parent module. So a topic's ancestor closure is bounded
    by depth x module size, however large the curriculum grows (a uniformly random DAG
    would make nearly every earlier topic an ancestor, which no curriculum does).
    """
    modules = max(1, -(-topics // MODULE_SIZE))
    depth = [0] * modules
    parent = [-1] * modules
    for m in range(1, modules):
        candidates = [c for c in range(max(0, m - 40), m) if depth[c] < MAX_DEPTH]
        if m >= 3 and candidates:
            parent[m] = rng.choice(candidates)
            depth[m] = depth[parent[m]] + 1
    members = [list(range(m * MODULE_SIZE, min(topics, (m + 1) * MODULE_SIZE)))
               for m in range(modules)]
    prereqs: list[list[int]] = []
    for i in range(topics):
        m, j = divmod(i, MODULE_SIZE)
        local = members[m][max(0, j - 8):j]
        want_local = min(len(local), max(0, round(rng.gauss(edges_per_topic - 2, 1.5))))
        chosen = set(rng.sample(local, want_local))
        if parent[m] >= 0:
            pool = members[parent[m]]
            chosen.update(rng.sample(pool, min(len(pool), rng.randint(1, 3))))
        prereqs.append(sorted(chosen))
    tiers = [1 + min(2, depth[i // MODULE_SIZE] * 3 // (MAX_DEPTH + 1)) for i in range(topics)]
    return prereqs, tiers


def generate(root: Path, topics: int, edges_per_topic: float, source: Path,
             seed: int = 0) -> tuple[int, int]:
    """Write a synthetic project of ``topics`` pages into ``root``; returns (pages, edges)."""
    rng = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    (root / "content").mkdir(parents=True)
    shutil.copytree(source / "templates", root / "templates")
    (root / "graph").mkdir()
    shutil.copy(source / "graph" / "curriculum.yml", root / "graph" / "curriculum.yml")
    shutil.copy(source / "graph" / "facts.yml", root / "graph" / "facts.yml")
    mkdocs = (source / "mkdocs.yml").read_text(encoding="utf-8")
    (root / "mkdocs.yml").write_text(mkdocs.replace("  - olwsite\n", ""), encoding="utf-8")
    slugs = [f"topic-{i:05d}" for i in range(topics)]
    prereqs, tiers = plan(topics, edges_per_topic, rng)
    track_of = {s: TRACKS[(i // MODULE_SIZE) % len(TRACKS)] for i, s in enumerate(slugs)}
    for folder in TRACKS:
        (root / "content" / folder).mkdir()
    for i, slug in enumerate(slugs):
        names = [slugs[p] for p in prereqs[i]]
        text = page_text(i, slug, names, tiers[i], track_of, track_of[slug], rng)
        (root / "content" / track_of[slug] / f"{slug}.md").write_text(text, encoding="utf-8")
    return topics, sum(len(p) for p in prereqs)
