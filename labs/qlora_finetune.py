"""Lab: QLoRA from scratch: a frozen NF4 4-bit base model plus trainable LoRA adapters.

What it shows
    QLoRA (Dettmers et al., 2023) fine-tunes a large model on one GPU by storing the
    frozen base weights in 4 bits and training only small low-rank adapters. Every
    piece is written out here in plain PyTorch:
      * NF4: 16 levels placed at quantiles of a standard normal (so each level is
        equally likely for normally distributed weights), normalised to [-1, 1], with
        an exact zero. Weights are quantized in blocks of 64 with one absmax scale each.
      * Double quantization: the fp32 block scales (32 bits per 64 weights = 0.5
        bit/weight) are themselves quantized to 8 bits in blocks of 256 after
        subtracting their mean (about 0.127 bit/weight). The paper uses an 8-bit float
        there; this lab uses int8, which is close enough to show the saving.
      * A Linear whose weight is dequantized on the fly, in forward and again in
        backward, so no full-precision copy of the base weight is ever kept.
      * LoRA on every linear layer of every block: y = W x + (alpha / r) * B A x,
        with A random and B zero, so training starts exactly at the base model.
    It reports trainable vs total parameters, weight memory of the 4-bit base against
    bf16, measured peak memory while training, held-out loss before and after, and the
    same figures for full fine-tuning (fewer steps; fp32 master weights, AdamW, bf16
    autocast on GPU) for comparison.

    Be clear about what this measures. By default the base is randomly initialised,
    not pretrained (--pretrain-steps trains it briefly on another synthetic task
    first). Memory figures and the fact that adapters train are real; how well a
    QLoRA fine-tune matches full fine-tuning in quality needs a real checkpoint. If you
    have one locally as a torch state_dict (this repo's Transformer names, or Hugging
    Face LLaMA names), pass --checkpoint PATH with its shape flags (--dim, --layers,
    --heads, --kv-heads, --ffn, --vocab, --rope-theta).

Hardware and time
    Real mode: one NVIDIA GPU (H100/H200) with about 24 GiB free (the full fine-tuning
    run peaks at 22 GiB: fp32 weights, gradients and Adam state of 1.1B parameters; the
    QLoRA run at about 3 GiB); a 1.1B-parameter LLaMA-shaped model (TinyLlama-1.1B
    shapes); about 70 s on an H200.
    Smoke mode: any CPU, a few seconds (a tiny model, fp32).

Run it for real
    python labs/qlora_finetune.py --out results/qlora_finetune.json
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812 (PyTorch's own convention)
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    LLAMA_1B,
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
    fmt_bytes,
    lm_loss,
    peak_memory_bytes,
    pick_dtype,
    print_table,
    reset_peak_memory,
    setup,
    write_result,
)

# ---------------------------------------------------------------------------
# NF4 quantization
# ---------------------------------------------------------------------------

# Outermost quantile used for the levels: the average of 1 - 1/(2*15) and
# 1 - 1/(2*16), as in the QLoRA code, so the extreme levels are finite (ppf(1) = inf).
NF4_OFFSET = 0.9677083


@functools.cache
def nf4_levels() -> torch.Tensor:
    """The 16 NF4 levels: normal quantiles, 8 positive, 7 negative and an exact 0.

    Asymmetric on purpose: 16 levels cannot be symmetric and still contain 0, and an
    exact zero matters (padding, pruned weights)."""
    lin = torch.linspace
    pos = torch.special.ndtri(lin(NF4_OFFSET, 0.5, 9, dtype=torch.float64)[:-1])
    neg = -torch.special.ndtri(lin(NF4_OFFSET, 0.5, 8, dtype=torch.float64)[:-1])
    levels = torch.cat([pos, torch.zeros(1, dtype=torch.float64), neg]).sort().values
    return (levels / levels.max()).float()


@functools.cache
def _levels_on(device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    # Cached per device/dtype: dequantization runs twice per layer per step.
    return nf4_levels().to(device=device, dtype=dtype)


@dataclass
class NF4Weight:
    """A weight tensor stored as packed 4-bit NF4 codes plus its block scales."""

    shape: torch.Size
    block: int
    packed: torch.Tensor  # uint8 [numel / 2]: two codes per byte
    absmax: torch.Tensor | None  # fp32 [n_blocks], when not double-quantized
    # Double quantization of absmax: int8 codes, one fp32 scale per dq_block, and a mean.
    absmax_q: torch.Tensor | None = None
    absmax_scale: torch.Tensor | None = None
    absmax_mean: float = 0.0
    dq_block: int = 256

    def nbytes(self) -> int:
        tensors = [self.packed, self.absmax, self.absmax_q, self.absmax_scale]
        return sum(t.numel() * t.element_size() for t in tensors if t is not None) + (
            4 if self.absmax_q is not None else 0  # the fp32 mean
        )

    def scales(self) -> torch.Tensor:
        """Block scales in fp32, undoing double quantization if it was used."""
        if self.absmax is not None:
            return self.absmax
        assert self.absmax_q is not None and self.absmax_scale is not None
        n_blocks = math.prod(self.shape) // self.block
        q = self.absmax_q.float().view(-1, self.dq_block) * self.absmax_scale[:, None]
        return q.flatten()[:n_blocks] + self.absmax_mean


def quantize_nf4(
    w: torch.Tensor, block: int = 64, double_quant: bool = False, dq_block: int = 256
) -> NF4Weight:
    if w.numel() % block or w.numel() % 2:
        raise ValueError(f"{tuple(w.shape)} does not split into blocks of {block}")
    levels = nf4_levels().to(w.device)
    blocks = w.detach().float().reshape(-1, block)
    absmax = blocks.abs().amax(dim=1).clamp_min(torch.finfo(torch.float32).tiny)
    normed = blocks / absmax[:, None]  # in [-1, 1]
    # Nearest level = which interval between level midpoints the value falls in.
    mids = (levels[:-1] + levels[1:]) / 2
    codes = torch.bucketize(normed, mids).to(torch.uint8).flatten()
    packed = (codes[0::2] << 4) | codes[1::2]
    if not double_quant:
        return NF4Weight(w.shape, block, packed, absmax)
    # Scales are all positive: centre them so the int8 grid covers both signs.
    mean = float(absmax.mean())
    centred = absmax - mean
    pad = (-centred.numel()) % dq_block
    centred = F.pad(centred, (0, pad)).view(-1, dq_block)
    scale = centred.abs().amax(dim=1).clamp_min(torch.finfo(torch.float32).tiny) / 127
    absmax_q = torch.round(centred / scale[:, None]).clamp(-127, 127).to(torch.int8)
    return NF4Weight(
        w.shape, block, packed, None, absmax_q.flatten(), scale, mean, dq_block
    )


def dequantize_nf4(qw: NF4Weight, dtype: torch.dtype) -> torch.Tensor:
    codes = torch.stack([qw.packed >> 4, qw.packed & 0x0F], dim=1).flatten().long()
    levels = _levels_on(qw.packed.device, dtype)
    blocks = levels[codes].view(-1, qw.block) * qw.scales().to(dtype)[:, None]
    return blocks.view(qw.shape)


# ---------------------------------------------------------------------------
# Frozen 4-bit Linear and LoRA
# ---------------------------------------------------------------------------


class _NF4Matmul(torch.autograd.Function):
    """x @ W^T with W dequantized in forward and again in backward.

    Autograd would otherwise save the dequantized W for the backward pass, keeping a
    full-precision copy of every base weight alive: exactly what 4-bit storage avoids.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, layer: NF4Linear) -> torch.Tensor:
        ctx.layer = layer
        return x @ layer.weight_dequantized(x.dtype).t()

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, None]:
        if not ctx.needs_input_grad[0]:
            return None, None
        return grad @ ctx.layer.weight_dequantized(grad.dtype), None


class NF4Linear(nn.Module):
    """A frozen bias-free Linear stored in NF4; no parameters, only buffers."""

    def __init__(self, linear: nn.Linear, block: int, double_quant: bool) -> None:
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.q = quantize_nf4(linear.weight, block, double_quant)
        # Register the storage as buffers so .to(device) and state_dict see it.
        for name in ("packed", "absmax", "absmax_q", "absmax_scale"):
            t = getattr(self.q, name)
            if t is not None:
                self.register_buffer(name, t)

    def weight_dequantized(self, dtype: torch.dtype) -> torch.Tensor:
        return dequantize_nf4(self.q, dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _NF4Matmul.apply(x, self)


class LoRALinear(nn.Module):
    """base(x) + (alpha / r) * B(A(x)); only A and B train. B starts at zero."""

    def __init__(self, base: nn.Module, in_f: int, out_f: int, r: int, alpha: float) -> None:
        super().__init__()
        self.base = base
        self.lora_a = nn.Parameter(torch.empty(r, in_f))
        self.lora_b = nn.Parameter(torch.zeros(out_f, r))
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))  # nn.Linear's default
        self.scaling = alpha / r
        self.enabled = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.enabled:
            return self.base(x)
        # Adapters keep fp32 master weights; compute in the activations' dtype.
        a, b = self.lora_a.to(x.dtype), self.lora_b.to(x.dtype)
        return self.base(x) + (x @ a.t() @ b.t()) * self.scaling


def to_qlora(
    model: Transformer,
    r: int,
    alpha: float,
    block: int,
    double_quant: bool,
    compute_dtype: torch.dtype,
) -> Transformer:
    """In place: every block's nn.Linear -> LoRA(NF4); the rest frozen in compute dtype.

    Embedding and lm_head stay unquantized, as in QLoRA."""
    for p in model.parameters():
        p.requires_grad_(False)
    device = model.embed.weight.device
    for block_module in model.layers:
        for parent in list(block_module.modules()):
            for name, child in list(parent.named_children()):
                if isinstance(child, nn.Linear):
                    q = NF4Linear(child, block, double_quant)
                    lora = LoRALinear(q, child.in_features, child.out_features, r, alpha)
                    setattr(parent, name, lora.to(device))
                    del child  # drop the full-precision weight as we go
    for p in model.parameters():
        if not p.requires_grad:
            p.data = p.data.to(compute_dtype)
    return model


def quantized_weight_bytes(model: nn.Module) -> tuple[int, int]:
    """(bytes of NF4 storage, number of weights it holds)."""
    layers = [m for m in model.modules() if isinstance(m, NF4Linear)]
    return sum(m.q.nbytes() for m in layers), sum(math.prod(m.q.shape) for m in layers)


# ---------------------------------------------------------------------------
# Checkpoint loading
# ---------------------------------------------------------------------------


def map_hf_llama(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename Hugging Face LLaMA keys to this repo's Transformer (same RoPE layout)."""
    if not any(k.startswith("model.") for k in sd):
        return sd
    ren = {
        "self_attn.q_proj": "attn.wq", "self_attn.k_proj": "attn.wk",
        "self_attn.v_proj": "attn.wv", "self_attn.o_proj": "attn.wo",
        "mlp.gate_proj": "ffn.w1", "mlp.up_proj": "ffn.w3", "mlp.down_proj": "ffn.w2",
        "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
    }
    out: dict[str, torch.Tensor] = {}
    for key, v in sd.items():
        if "rotary_emb" in key:
            continue
        k = key.replace("model.embed_tokens.", "embed.").replace("model.norm.", "norm.")
        k = k.replace("model.layers.", "layers.")
        for a, b in ren.items():
            k = k.replace(f".{a}.", f".{b}.")
        out[k] = v
    if "lm_head.weight" not in out:  # tied embeddings
        out["lm_head.weight"] = out["embed.weight"]
    return out


def make_base(cfg: ModelConfig, device: torch.device, seed: int, ckpt: Path | None) -> Transformer:
    torch.manual_seed(seed)
    model = build_model(cfg, device, torch.float32)
    if ckpt is not None:
        sd = map_hf_llama(torch.load(ckpt, map_location="cpu", weights_only=True))
        model.load_state_dict({k: v.float() for k, v in sd.items()}, strict=True)
    return model


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def train(
    model: nn.Module,
    task: SyntheticTask,
    steps: int,
    batch_size: int,
    lr: float,
    device: torch.device,
    seed: int,
    use_autocast: bool,
) -> dict[str, Any]:
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    gen = torch.Generator().manual_seed(seed)
    reset_peak_memory(device)
    losses = []
    with Timer(device) as t:
        for _ in range(steps):
            x, y = task.batch(batch_size, gen, device)
            with autocast(device) if use_autocast else nullcontext():
                loss = lm_loss(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return {
        "steps": steps,
        "seconds": t.seconds,
        "seconds_per_step": t.seconds / max(steps, 1),
        "peak_memory_bytes": peak_memory_bytes(device),
        "train_loss_first": losses[0] if losses else None,
        "train_loss_last": losses[-1] if losses else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    parser.add_argument("--rank", type=int, default=None, help="LoRA rank r")
    parser.add_argument("--lora-alpha", type=float, default=None, help="default: 2 * rank")
    parser.add_argument("--block", type=int, default=64, help="NF4 block size")
    parser.add_argument("--no-double-quant", action="store_true")
    parser.add_argument("--steps", type=int, default=None, help="QLoRA steps")
    parser.add_argument("--full-steps", type=int, default=None, help="full fine-tuning steps")
    parser.add_argument("--pretrain-steps", type=int, default=None,
                        help="briefly pretrain the random base on --pretrain-task first "
                        "(default 30 smoke, 100 real; 0: a purely random base)")
    parser.add_argument("--task", default="copy", choices=["copy", "reverse", "modsum"])
    parser.add_argument("--pretrain-task", default="reverse",
                        choices=["copy", "reverse", "modsum"])
    parser.add_argument("--checkpoint", type=Path, default=None,
                        help="torch state_dict of a real base model (shape flags must match)")
    for flag in ("dim", "layers", "heads", "kv-heads", "ffn", "vocab"):
        parser.add_argument(f"--{flag}", type=int, default=None)
    parser.add_argument("--rope-theta", type=float, default=10000.0)
    args = parser.parse_args(argv)
    device = setup(args)
    compute_dtype = pick_dtype(device)
    double_quant = not args.no_double_quant

    if args.smoke:
        shape: dict[str, Any] = {"vocab_size": 256, "dim": 128, "n_layers": 2, "n_heads": 4,
                                 "n_kv_heads": 2}
        rank, steps, full_steps, batch, length, lr, full_lr = 4, 30, 15, 16, 8, 1e-2, 1e-3
    else:
        shape = dict(LLAMA_1B)
        rank, steps, full_steps, batch, length, lr, full_lr = 16, 150, 50, 16, 32, 1e-3, 1e-4
    for flag, key in (("dim", "dim"), ("layers", "n_layers"), ("heads", "n_heads"),
                      ("kv_heads", "n_kv_heads"), ("ffn", "ffn_hidden"), ("vocab", "vocab_size")):
        if getattr(args, flag) is not None:
            shape[key] = getattr(args, flag)
    rank = args.rank or rank
    alpha = args.lora_alpha or 2.0 * rank
    steps = args.steps if args.steps is not None else steps
    pretrain_steps = args.pretrain_steps
    if pretrain_steps is None:
        pretrain_steps = 30 if args.smoke else 100
    full_steps = args.full_steps if args.full_steps is not None else full_steps
    cfg = ModelConfig(**shape, rope_theta=args.rope_theta, max_seq_len=2 * length + 8)
    task = SyntheticTask(args.task, n_symbols=16, length=length, vocab_size=cfg.vocab_size)

    levels = nf4_levels()
    print("NF4 levels:", " ".join(f"{v:+.4f}" for v in levels.tolist()))

    base_note = "random init (not pretrained)"
    if args.checkpoint is not None:
        base_note = f"loaded from {args.checkpoint}"
    elif pretrain_steps > 0:
        base_note = f"random init, pretrained {pretrain_steps} steps on '{args.pretrain_task}'"

    # One base for both runs: built (or loaded), optionally pretrained once, then
    # snapshotted on the CPU so QLoRA and full fine-tuning start from the same weights.
    base = make_base(cfg, device, args.seed + 7, args.checkpoint)
    if args.checkpoint is None and pretrain_steps > 0:
        pre = SyntheticTask(args.pretrain_task, task.n_symbols, length, cfg.vocab_size)
        pretrain = train(base, pre, pretrain_steps, batch, 3 * full_lr, device, args.seed + 3,
                         use_autocast=True)
        print(f"pretrained the base {pretrain_steps} steps on '{pre.kind}': train loss "
              f"{pretrain['train_loss_first']:.3f} -> {pretrain['train_loss_last']:.3f}")
    snapshot = {k: v.detach().to("cpu", copy=True) for k, v in base.state_dict().items()}
    del base

    def fresh_base() -> Transformer:
        model = build_model(cfg, device, torch.float32)
        model.load_state_dict(snapshot)
        return model

    # ---- QLoRA -----------------------------------------------------------------------
    model = fresh_base()
    base_params = count_params(model)
    bf16_bytes = base_params * 2
    probe, _ = task.batch(4, torch.Generator().manual_seed(99), device)
    with torch.no_grad():
        ref_eval = evaluate(model, task, device)  # before quantization
        # Relative error of the linear weights under NF4 with the settings used.
        errs: list[float] = []
        for m in model.layers.modules():
            if isinstance(m, nn.Linear):
                deq = dequantize_nf4(quantize_nf4(m.weight, args.block, double_quant),
                                     torch.float32)
                errs.append(float(((deq - m.weight) ** 2).sum() / (m.weight**2).sum()))
    model = to_qlora(model, rank, alpha, args.block, double_quant, compute_dtype)
    if device.type == "cuda":
        torch.cuda.empty_cache()
    trainable = count_params(model, trainable_only=True)
    total = count_params(model) + sum(
        math.prod(m.q.shape) for m in model.modules() if isinstance(m, NF4Linear)
    )
    q_bytes, q_weights = quantized_weight_bytes(model)
    other_bytes = sum(
        p.numel() * p.element_size() for p in model.parameters() if not p.requires_grad
    )
    four_bit_bytes = q_bytes + other_bytes
    with torch.no_grad():
        # B = 0, so the adapted model must equal the quantized base exactly: compare
        # against the same model with every adapter switched off.
        loras = [m for m in model.modules() if isinstance(m, LoRALinear)]
        start = model(probe)
        for m in loras:
            m.enabled = False
        base_only = model(probe)
        for m in loras:
            m.enabled = True
        starts_at_base = bool(torch.equal(start, base_only))
    q_before = evaluate(model, task, device)
    q_train = train(model, task, steps, batch, lr, device, args.seed, use_autocast=False)
    q_after = evaluate(model, task, device)
    del model
    if device.type == "cuda":
        torch.cuda.empty_cache()

    # ---- Full fine-tuning ------------------------------------------------------------
    model = fresh_base()
    f_before = evaluate(model, task, device)
    f_train = train(model, task, full_steps, batch, full_lr, device, args.seed, use_autocast=True)
    f_after = evaluate(model, task, device)
    full_trainable = count_params(model, trainable_only=True)
    del model

    print(f"\nBase: {base_params / 1e6:.1f}M params, {base_note}; device {device}, "
          f"compute dtype {compute_dtype}")
    print(f"Task '{task.kind}', answer length {length}; ln({task.n_symbols}) = "
          f"{task.chance_loss:.2f} is the loss of 'knows the alphabet, not the rule'")
    print(f"NF4 block {args.block}, double quantization {double_quant}; weight relative MSE "
          f"of the linear layers: {sum(errs) / len(errs):.4f} (mean over layers); held-out "
          f"loss {ref_eval['loss']:.4f} unquantized, {q_before['loss']:.4f} in 4 bits")
    bits_per_weight = 8 * q_bytes / q_weights
    print(f"\nWeight memory: bf16 base {fmt_bytes(bf16_bytes)}; 4-bit base "
          f"{fmt_bytes(four_bit_bytes)} (NF4 linears {fmt_bytes(q_bytes)} = "
          f"{bits_per_weight:.3f} bits/weight, + embeddings/lm_head/norms "
          f"{fmt_bytes(other_bytes)} in {compute_dtype})")
    print(f"LoRA r={rank}, alpha={alpha:g} on all {len(loras)} linear layers of the blocks; "
          f"adapted model equals the 4-bit base before training: {starts_at_base}")
    mem_note = "" if device.type == "cuda" else " (CPU: process peak RSS, cumulative)"
    print()
    print_table(
        ["run", "trainable", "% of total", "steps", "s/step", "peak mem" + mem_note,
         "loss before", "loss after", "acc after"],
        [
            ["QLoRA", trainable, 100 * trainable / total, steps, q_train["seconds_per_step"],
             fmt_bytes(q_train["peak_memory_bytes"]), q_before["loss"], q_after["loss"],
             q_after["accuracy"]],
            ["full FT", full_trainable, 100 * full_trainable / base_params, full_steps,
             f_train["seconds_per_step"], fmt_bytes(f_train["peak_memory_bytes"]),
             f_before["loss"], f_after["loss"], f_after["accuracy"]],
        ],
        floatfmt=".4g",
    )
    if args.checkpoint is None:
        print("\nThe base is not a real language model: these runs show memory and that the "
              "adapters train.\nQuality comparisons between QLoRA and full fine-tuning need a "
              "real checkpoint (--checkpoint).")

    write_result(
        args.out,
        {
            "lab": "qlora_finetune",
            "smoke": args.smoke,
            "seed": args.seed,
            "base": base_note,
            "config": cfg.to_dict(),
            "task": {"kind": task.kind, "n_symbols": task.n_symbols, "length": length,
                     "chance_loss": task.chance_loss},
            "nf4_levels": levels.tolist(),
            "nf4": {"block": args.block, "double_quant": double_quant,
                    "bits_per_weight": bits_per_weight,
                    "weight_relative_mse_mean": sum(errs) / len(errs)},
            "lora": {"rank": rank, "alpha": alpha, "adapted_layers": len(loras),
                     "starts_at_base": starts_at_base},
            "params": {"base": base_params, "total_qlora": total,
                       "trainable_qlora": trainable,
                       "trainable_fraction": trainable / total,
                       "trainable_full": full_trainable},
            "weight_memory_bytes": {"bf16": bf16_bytes, "four_bit": four_bit_bytes,
                                    "nf4_linears": q_bytes, "unquantized": other_bytes},
            "base_eval_unquantized": ref_eval,
            "qlora": {"before": q_before, "after": q_after, **q_train},
            "full": {"before": f_before, "after": f_after, **f_train},
            "env": environment(device),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
