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
LEVEL_SIZE = 5  # a module's topics come in levels; a level builds on the one below
MAX_DEPTH = 5  # modules build on a parent module, at most this many levels deep


def plan(topics: int, edges_per_topic: float, rng: random.Random) -> tuple[
        list[list[int]], list[int]]:
    """Prerequisites and tiers for ``topics`` topics, shaped like a real curriculum.

    Topics come in modules of levels; a topic requires topics of the level below it in its
    own module, of its module's parent module and of one other earlier module. So a
    topic's ancestor closure is bounded by depth x module size, however large the
    curriculum grows (a uniformly random DAG would make nearly every earlier topic an
    ancestor, which no curriculum does). Like a curriculum that passes `olwsite check`, it
    has no redundant prerequisite: each topic's prerequisites are chosen so that none is
    an ancestor of another.
    """
    modules = max(1, -(-topics // MODULE_SIZE))
    depth = [0] * modules
    parent = [-1] * modules
    other = [-1] * modules
    for m in range(1, modules):
        # depths cycle, so the shape of the curriculum (and so closure sizes) is the same
        # at every size; the parent is any recent module one level up
        want = m % (MAX_DEPTH + 1)
        window = range(max(0, m - 40), m)
        parents = [c for c in window if depth[c] == want - 1]
        if parents:
            parent[m] = rng.choice(parents)
            depth[m] = want
        # and one foundation module beside it (foundations themselves stand alone)
        roots = [c for c in window if depth[c] == 0 and c != parent[m]]
        other[m] = rng.choice(roots) if roots and depth[m] else -1
    prereqs: list[list[int]] = []
    ancestors: list[int] = []  # bitsets
    for i in range(topics):
        m, j = divmod(i, MODULE_SIZE)
        level_start = m * MODULE_SIZE + (j // LEVEL_SIZE - 1) * LEVEL_SIZE
        pool = list(range(level_start, level_start + LEVEL_SIZE)) if j >= LEVEL_SIZE else []
        for module in (parent[m], other[m]):
            if module >= 0:
                pool += rng.sample(range(module * MODULE_SIZE, (module + 1) * MODULE_SIZE),
                                   3 * LEVEL_SIZE)
        rng.shuffle(pool)
        want = max(1, round(rng.gauss(edges_per_topic, 2)))
        chosen: list[int] = []
        for c in pool:
            if len(chosen) == want:
                break
            if any(ancestors[d] >> c & 1 or ancestors[c] >> d & 1 for d in chosen):
                continue  # one would be implied by the other: a redundant prerequisite
            chosen.append(c)
        bits = 0
        for c in chosen:
            bits |= ancestors[c] | 1 << c
        ancestors.append(bits)
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
