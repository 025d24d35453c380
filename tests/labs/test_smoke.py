"""Run every lab's --smoke mode and check that what it measured makes sense.

Each lab runs in a subprocess (as a user would run it) and writes its figures with
--out; the assertions read that JSON. The whole module takes well under a minute on a
2-core CPU.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

LABS = Path(__file__).resolve().parents[2] / "labs"

# The NF4 code book as published with QLoRA (bitsandbytes' NF4 table).
NF4_PUBLISHED = [
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
    -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
    0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
    0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
]


def run_lab(name: str, tmp_path: Path, *extra: str) -> dict[str, Any]:
    out = tmp_path / f"{name}.json"
    proc = subprocess.run(
        [sys.executable, "-W", "error", str(LABS / f"{name}.py"), "--smoke", "--out", str(out),
         *extra],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,  # assert below, with the lab's output in the message
    )
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout}\n{proc.stderr}"
    data = json.loads(out.read_text())
    assert data["lab"] == name and data["smoke"] is True
    return data


def test_quantization_error(tmp_path: Path) -> None:
    data = run_lab("quantization_error", tmp_path)
    rows = {(r["distribution"], r["bits"], r["scale"]): r for r in data["tensor_rows"]}
    group = f"group{data['group']}"
    assert len(rows) == 3 * 3 * 2
    # Uniform weights: the error is uniform over a bin, so MSE = Δ²/12 (within 10%).
    for bits in (2, 4, 8):
        for scale in ("tensor", group):
            assert abs(rows["uniform", bits, scale]["mse_ratio"] - 1) < 0.1
    # Gaussian weights at 8 bits are in the high-resolution regime too.
    assert abs(rows["gaussian", 8, "tensor"]["mse_ratio"] - 1) < 0.1
    # ...but not at 2 bits, where most weights sit in the zero bin.
    assert rows["gaussian", 2, "tensor"]["mse_ratio"] < 0.8
    # Round-to-nearest never errs by more than half a step.
    for r in rows.values():
        assert r["max_err_over_half_delta"] <= 1 + 1e-4
        assert r["max_err"] <= r["half_delta_max"] * (1 + 1e-4)
    # One outlier per tensor ruins 4-bit per-tensor scales; groups contain the damage.
    per_tensor = rows["gaussian+outliers", 4, "tensor"]["relative_mse"]
    per_group = rows["gaussian+outliers", 4, group]["relative_mse"]
    assert per_tensor > 5 * per_group
    # More bits, less output error; 8-bit group-wise barely moves the logits.
    model = {r["variant"]: r for r in data["model"]["rows"]}
    errs = [model[f"int{b} {group}"]["logit_relative_error"] for b in (2, 4, 8)]
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 0.05
    assert model["bf16 (reference)"]["logit_relative_error"] < errs[2]


def test_kv_cache_throughput(tmp_path: Path) -> None:
    data = run_lab("kv_cache_throughput", tmp_path)
    gqa, mha = data["configs"]["GQA"], data["configs"]["MHA"]
    head_dim = gqa["dim"] // gqa["n_heads"]
    bytes_per = 4  # smoke runs in fp32
    for name, cfg in (("GQA", gqa), ("MHA", mha)):
        results = data["results"][name]
        assert [r["context"] for r in results] == [64, 128, 256, 512]
        for r in results:
            formula = 2 * cfg["n_layers"] * cfg["n_kv_heads"] * head_dim * bytes_per * (
                r["cache_tokens"] * data["batch"]
            )
            assert r["cache_bytes_measured"] == r["cache_bytes_formula"] == formula
            assert r["decode_tokens_per_s"] > 0 and r["prefill_tokens_per_s"] > 0
        # Linear in context: the same bytes per token at every length.
        assert len({r["cache_bytes_per_token"] for r in results}) == 1
    ratio = gqa["n_heads"] // gqa["n_kv_heads"]
    for g, m in zip(data["results"]["GQA"], data["results"]["MHA"], strict=True):
        assert m["cache_bytes_measured"] == ratio * g["cache_bytes_measured"]
    # Cached decoding reproduces a full forward pass (fp32: only rounding differs).
    # Both decode paths: forward(token, cache) and the graph-ready decode_step.
    for paths in data["cache_consistency_rel_max_diff"].values():
        assert set(paths) == {"forward", "decode_step"}  # fp32: no bf16 yardstick
        assert all(diff < 1e-4 for diff in paths.values())


def test_moe_routing(tmp_path: Path) -> None:
    data = run_lab("moe_routing", tmp_path)
    no_aux, aux = data["runs"]["no_aux"], data["runs"]["aux"]
    assert no_aux["alpha"] == 0 and aux["alpha"] > 0
    n_experts = data["config"]["n_experts"]
    for run in (no_aux, aux):
        for layer in run["routing"]["layers"]:
            assert len(layer["fractions"]) == n_experts
            assert math.isclose(sum(layer["fractions"]), 1.0, rel_tol=1e-9)
            assert 0 <= layer["dropped_fraction"] < 1
        assert math.isfinite(run["eval"]["loss"])
        # Both runs learn the task beyond "alphabet only".
        assert run["eval"]["loss"] < math.log(data["task"]["n_symbols"])
    # The auxiliary loss evens out the load.
    assert aux["routing"]["cv_mean"] < 0.8 * no_aux["routing"]["cv_mean"]
    assert aux["routing"]["max_over_mean_worst"] < no_aux["routing"]["max_over_mean_worst"]
    assert aux["routing"]["dropped_fraction_mean"] < no_aux["routing"]["dropped_fraction_mean"]
    assert abs(aux["routing"]["aux_loss_mean"] - 1) < abs(no_aux["routing"]["aux_loss_mean"] - 1)


def test_qlora_finetune(tmp_path: Path) -> None:
    data = run_lab("qlora_finetune", tmp_path)
    assert data["nf4_levels"] == pytest.approx(NF4_PUBLISHED, abs=1e-6)
    params = data["params"]
    assert params["trainable_qlora"] < 0.05 * params["total_qlora"]
    assert params["trainable_full"] == params["base"]
    assert data["lora"]["starts_at_base"] is True
    mem = data["weight_memory_bytes"]
    assert mem["four_bit"] < mem["bf16"]
    # Double-quantized NF4: 4 bits + 8/64 + 32/(64*256), plus padding of the last scales.
    assert 4.12 < data["nf4"]["bits_per_weight"] < 4.2
    assert data["nf4"]["weight_relative_mse_mean"] < 0.02
    for run in ("qlora", "full"):
        assert data[run]["after"]["loss"] < data[run]["before"]["loss"]
    # QLoRA adapts the base to the new rule, not just the alphabet.
    assert data["qlora"]["after"]["loss"] < 0.8 * data["qlora"]["before"]["loss"]


def test_nf4_round_trip() -> None:
    """In-process unit check of the NF4 code: packing, scales and double quantization."""
    sys.path.insert(0, str(LABS))
    try:
        from qlora_finetune import dequantize_nf4, nf4_levels, quantize_nf4
    finally:
        sys.path.remove(str(LABS))
    gen = torch.Generator().manual_seed(0)
    levels = nf4_levels()
    # Values that are exactly levels times a block's absmax survive unchanged.
    w = levels[torch.randint(0, 16, (4, 64), generator=gen)] * 3.0
    w[:, 0] = 3.0  # every block's absmax is 3
    q = quantize_nf4(w, block=64)
    assert q.packed.dtype == torch.uint8 and q.packed.numel() == w.numel() // 2
    assert torch.allclose(dequantize_nf4(q, torch.float32), w, atol=1e-6)
    # Gaussian weights: double quantization costs almost nothing in accuracy.
    g = torch.randn(256, 256, generator=gen)
    e_single = (dequantize_nf4(quantize_nf4(g), torch.float32) - g).pow(2).mean()
    e_double = (dequantize_nf4(quantize_nf4(g, double_quant=True), torch.float32) - g).pow(2).mean()
    assert e_double < 1.05 * e_single
    assert quantize_nf4(g, double_quant=True).nbytes() < quantize_nf4(g).nbytes()
