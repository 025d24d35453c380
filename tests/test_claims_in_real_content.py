"""Claims in the real content: they all verify; a false claim, a unit mismatch or an
injection attempt in a copy fails at its line without executing anything; the
reference page's slips, written as claims, fail; an unchanged rebuild does no sympy work."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from .conftest import copy_real_project, run_cli

HUB = "content/models/llama-and-open-weight-models.md"


def _append_block(root: Path, rel: str, statements: list[str]) -> int:
    """Append a check block to a page; return the file line of its first statement."""
    path = root / rel
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n```check\n"
    first = text.count("\n") + 1
    path.write_text(text + "\n".join(statements) + "\n```\n", encoding="utf-8")
    return first


def _check(root: Path) -> tuple[int, list[dict[str, object]], float]:
    started = time.perf_counter()
    run = run_cli(root, "check", "--format", "json")
    return run.code, json.loads(run.out), time.perf_counter() - started


@pytest.mark.parametrize(("statements", "code"), [
    (["w = 70B * 2 B", "w == 150 GB"], "E401"),
    (["w = 70B * 2 B", "w + 3 s > 0 B"], "E402"),
    (["x = ().__class__.__mro__[1].__subclasses__()"], "E404"),
    (["__import__('os').system('touch SENTINEL') == 0"], "E404"),
    (["9**9**9 > 1"], "E407"),
], ids=["false-claim", "unit-mismatch", "mro-escape", "import-os", "huge-power"])
def test_a_bad_claim_fails_at_its_line_and_runs_nothing(
        tmp_path: Path, statements: list[str], code: str) -> None:
    root = copy_real_project(tmp_path)
    first = _append_block(root, HUB, statements)
    exit_code, diags, seconds = _check(root)
    assert exit_code == 1
    ours = [d for d in diags if d["code"] == code and d["path"] == HUB]
    assert ours and ours[0]["line"] == first + len(statements) - 1, diags
    assert seconds < 10
    assert not (root / "SENTINEL").exists() and not Path("SENTINEL").exists()


# The reference page's slips, each written as the claim the original text makes.
SLIPS = {
    "48GB A100 does not exist": (["35 GB < gpu_A100_48GB"], "E405"),
    "Maverick activates 17B, not ~40B": (["llama4_maverick_active ≈ 40B"], "E401"),
    "405B at 4 bits fits one 8-GPU node": (
        ["ceil(llama31_405b_params * bytes_int4 / (8 * gpu_H100_80GB)) >= 2"], "E401"),
    "Mistral 7B v0.1 had 8K context, not 32K": (["mistral7b_context == 32K"], "E401"),
    "endpoint-grid max error is not (b-a)/2^(k+1)": (
        ['a, b, k = symbols("a b k", positive=True)',
         "(b - a) / (2 * (2**k - 1)) == (b - a) / 2**(k + 1)"], "E401"),
}


@pytest.mark.parametrize("slip", list(SLIPS), ids=list(SLIPS))
def test_each_reference_slip_would_fail_the_build(tmp_path: Path, slip: str) -> None:
    statements, code = SLIPS[slip]
    root = copy_real_project(tmp_path)
    first = _append_block(root, HUB, statements)
    exit_code, diags, _ = _check(root)
    assert exit_code == 1
    assert any(d["code"] == code and d["line"] == first + len(statements) - 1 for d in diags), \
        diags


def test_an_unchanged_rebuild_does_no_sympy_work(tmp_path: Path) -> None:
    root = copy_real_project(tmp_path, warm_cache=False)
    first = run_cli(root, "build")
    assert first.code == 0, first.err
    assert " 0 cached)" in first.out  # a fresh copy has no cache: everything verified
    second = run_cli(root, "build")
    assert second.code == 0
    assert "docs/ is up to date" in second.out  # nothing changed: nothing is even run
    with (root / HUB).open("a", encoding="utf-8") as page:
        page.write("\nA sentence of prose, no claim.\n")
    third = run_cli(root, "build")
    assert third.code == 0
    assert "(0 pages verified," in third.out
    check = run_cli(root, "check")
    assert "(0 pages verified" in check.out and "claims" in check.out
