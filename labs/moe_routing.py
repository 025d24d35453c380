"""Lab: mixture-of-experts routing load balance, with and without the auxiliary loss.

What it shows
    A top-k router sends each token to k of N experts. Nothing in the language-model
    loss asks it to spread tokens evenly, and routing tends to collapse onto a few
    experts (the ones chosen early get trained, so they get chosen more). The
    Switch Transformer's auxiliary loss, alpha * N * sum_i f_i * P_i, where f_i is the
    fraction of token assignments sent to expert i and P_i the mean router probability
    of expert i, is minimised (value 1) by a uniform split. This lab trains the same
    small MoE model (top-2 of 8 experts in every layer) on a synthetic copy task twice,
    with alpha = 0 and alpha > 0, and reports on held-out tokens: each expert's share of
    the assignments, the coefficient of variation of those shares (std/mean; 0 is
    perfectly even), the busiest expert's load over the mean, the fraction of
    assignments that would be dropped with a capacity factor of 1.25 (capacity =
    1.25 * tokens * k / N per expert; this model itself never drops, it is "dropless"),
    and the task loss.

Hardware and time
    Real mode: one NVIDIA GPU (H100/H200), about 75 s on an H200 (a 4-layer model,
    dim 256, 8 experts, two runs of 400 steps with bf16 autocast; the small kernels make
    it launch-bound, so any recent GPU takes about as long).
    Smoke mode: any CPU, a few seconds (a 2-layer model, dim 64, 40 steps; alpha is
    raised to 0.1 there so the effect shows within so few steps).

Run it for real
    python labs/moe_routing.py --out results/moe_routing.json
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    ModelConfig,
    SyntheticTask,
    Timer,
    Transformer,
    add_common_args,
    autocast,
    build_model,
    count_params,
    environment,
    evaluate,
    lm_loss,
    print_table,
    setup,
    write_result,
)


def load_stats(topk_idx: torch.Tensor, n_experts: int, capacity_factor: float) -> dict[str, Any]:
    """Balance figures for one layer from its [tokens, k] expert choices."""
    tokens, k = topk_idx.shape
    counts = torch.bincount(topk_idx.flatten(), minlength=n_experts).double()
    assignments = tokens * k
    frac = counts / assignments
    mean = counts.mean()
    capacity = math.floor(capacity_factor * assignments / n_experts)
    dropped = float((counts - capacity).clamp_min(0).sum())
    return {
        "fractions": frac.tolist(),
        "cv": float(counts.std(unbiased=False) / mean),
        "max_over_mean": float(counts.max() / mean),
        "capacity": capacity,
        "dropped_fraction": dropped / assignments,
    }


@torch.no_grad()
def routing_report(
    model: Transformer,
    task: SyntheticTask,
    device: torch.device,
    capacity_factor: float,
    batch_size: int,
) -> dict[str, Any]:
    """Route one held-out batch and summarise every MoE layer."""
    gen = torch.Generator().manual_seed(424242)  # same tokens for both runs
    x, _ = task.batch(batch_size, gen, device)
    model.eval()
    with autocast(device):
        model(x)
    model.train()
    layers = [
        load_stats(m.last.topk_idx, m.n_experts, capacity_factor)
        for m in model.moe_layers()
        if m.last is not None
    ]
    aux = [float(m.last.aux_loss) for m in model.moe_layers() if m.last is not None]
    return {
        "layers": layers,
        "cv_mean": sum(r["cv"] for r in layers) / len(layers),
        "max_over_mean_worst": max(r["max_over_mean"] for r in layers),
        "dropped_fraction_mean": sum(r["dropped_fraction"] for r in layers) / len(layers),
        "aux_loss_mean": sum(aux) / len(aux),
    }


def train(
    cfg: ModelConfig,
    task: SyntheticTask,
    alpha: float,
    steps: int,
    batch_size: int,
    lr: float,
    device: torch.device,
    seed: int,
) -> tuple[Transformer, list[dict[str, float]]]:
    torch.manual_seed(seed)  # same init and same data for both runs: only alpha differs
    model = build_model(cfg, device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    gen = torch.Generator().manual_seed(seed + 1)
    history: list[dict[str, float]] = []
    for step in range(steps):
        x, y = task.batch(batch_size, gen, device)
        with autocast(device):
            logits = model(x)
        task_loss = lm_loss(logits, y)
        aux = torch.stack([m.last.aux_loss for m in model.moe_layers() if m.last]).mean()
        loss = task_loss + alpha * aux
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % max(1, steps // 10) == 0 or step == steps - 1:
            history.append(
                {"step": step, "task_loss": task_loss.item(), "aux_loss": aux.item()}
            )
    return model, history


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    parser.add_argument(
        "--alpha", type=float, default=None,
        help="aux loss weight; default 0.01 (Switch Transformer), 0.1 in --smoke, whose "
        "40 steps are too few for 0.01 to show",
    )
    parser.add_argument("--experts", type=int, default=8)
    parser.add_argument("--top-k", type=int, default=2)
    parser.add_argument("--capacity-factor", type=float, default=1.25)
    parser.add_argument("--steps", type=int, default=None)
    args = parser.parse_args(argv)
    device = setup(args)

    if args.smoke:
        cfg = ModelConfig(
            vocab_size=64, dim=64, n_layers=2, n_heads=4, n_kv_heads=2, ffn_hidden=128,
            n_experts=args.experts, top_k=args.top_k, max_seq_len=64,
        )
        task = SyntheticTask("copy", n_symbols=16, length=8, vocab_size=cfg.vocab_size)
        steps, batch_size, lr = args.steps or 40, 16, 3e-3
    else:
        cfg = ModelConfig(
            vocab_size=512, dim=256, n_layers=4, n_heads=8, n_kv_heads=2, ffn_hidden=512,
            n_experts=args.experts, top_k=args.top_k, max_seq_len=256,
        )
        task = SyntheticTask("copy", n_symbols=64, length=32, vocab_size=cfg.vocab_size)
        steps, batch_size, lr = args.steps or 400, 64, 1e-3

    aux_alpha = args.alpha if args.alpha is not None else (0.1 if args.smoke else 0.01)
    runs: dict[str, dict[str, Any]] = {}
    for name, alpha in (("no_aux", 0.0), ("aux", aux_alpha)):
        with Timer(device) as t:
            model, history = train(cfg, task, alpha, steps, batch_size, lr, device, args.seed)
        report = routing_report(model, task, device, args.capacity_factor, 4 * batch_size)
        runs[name] = {
            "alpha": alpha,
            "history": history,
            "eval": evaluate(model, task, device),
            "routing": report,
            "seconds": t.seconds,
            "params": count_params(model),
        }
        print(f"{name} (alpha={alpha}): trained {steps} steps in {t.seconds:.1f}s")

    print(
        f"\nModel: {runs['aux']['params'] / 1e6:.2f}M params, {cfg.n_layers} MoE layers, "
        f"top-{cfg.top_k} of {cfg.n_experts} experts, task '{task.kind}' "
        f"(ln(symbols) = {task.chance_loss:.2f} is 'alphabet only')"
    )
    print("\nPer-expert share of token assignments on held-out tokens (uniform = "
          f"{1 / cfg.n_experts:.3f})")
    headers = ["run", "layer"] + [f"e{i}" for i in range(cfg.n_experts)] + [
        "CV", "max/mean", f"dropped@{args.capacity_factor}"]
    rows: list[list[Any]] = []
    for name, run in runs.items():
        for li, layer in enumerate(run["routing"]["layers"]):
            rows.append([name, li, *layer["fractions"], layer["cv"], layer["max_over_mean"],
                         layer["dropped_fraction"]])
    print_table(headers, rows, floatfmt=".3f")

    print("\nSummary")
    print_table(
        ["run", "alpha", "mean CV", "worst max/mean", "dropped", "aux loss", "task loss",
         "accuracy"],
        [
            [name, run["alpha"], run["routing"]["cv_mean"],
             run["routing"]["max_over_mean_worst"], run["routing"]["dropped_fraction_mean"],
             run["routing"]["aux_loss_mean"], run["eval"]["loss"], run["eval"]["accuracy"]]
            for name, run in runs.items()
        ],
        floatfmt=".4g",
    )
    print("aux loss = N * sum_i f_i P_i: 1.0 for a perfectly uniform router")

    write_result(
        args.out,
        {
            "lab": "moe_routing",
            "smoke": args.smoke,
            "seed": args.seed,
            "steps": steps,
            "capacity_factor": args.capacity_factor,
            "config": cfg.to_dict(),
            "task": {"kind": task.kind, "n_symbols": task.n_symbols, "length": task.length},
            "runs": runs,
            "env": environment(device),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
