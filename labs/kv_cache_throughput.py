"""Lab: KV-cache memory and decode throughput versus context length, MHA vs GQA.

What it shows
    Autoregressive decoding keeps every past token's keys and values so each new token
    costs one forward step instead of a full recompute. That cache grows linearly with
    context: 2 (K and V) * layers * kv_heads * head_dim * bytes_per_element * tokens.
    For each context length this lab builds the cache, prefills a random prompt,
    decodes N tokens greedily, and reports prefill time, decode tokens/s and cache
    bytes. Measured cache bytes (the cache tensors' sizes, and on a GPU also the
    allocator's own count) are checked to equal the formula exactly. The same model
    shape with plain multi-head attention (kv_heads = heads) is run alongside the
    grouped-query version (kv_heads = heads/8 in the real shape): the GQA cache is
    heads/kv_heads times smaller, and at long contexts, where each decode step must read
    the whole cache, that shows up in tokens/s too. It also checks that cached decoding
    reproduces the logits of a full forward pass without a cache.

    Decoding is timed twice on a GPU: eagerly (one Python call per kernel, as most
    research code runs) and replaying a CUDA graph of the whole decode step (as
    serving engines do). At batch 1 the eager loop is bound by kernel-launch overhead
    and barely notices the context length; with graphs, the time to read the weights
    and the cache shows through, and with it the cost of a long MHA cache.

Hardware and time
    Real mode: one NVIDIA GPU (H100/H200) with about 12 GiB free (peak 10 GiB, for the
    MHA model at 32K); a randomly initialised 1.1B-parameter model (TinyLlama-1.1B
    shapes) in bf16, contexts 1K..32K, 64 decoded tokens each, batch 1; about 70 s on
    an H200. The weights are random: the
    timings and memory are those of a real model of this shape, the tokens are not.
    Smoke mode: any CPU, a few seconds (a tiny fp32 model, contexts 64..512).

Run it for real
    python labs/kv_cache_throughput.py --out results/kv_cache_throughput.json
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    LLAMA_1B,
    KVCache,
    ModelConfig,
    Timer,
    Transformer,
    add_common_args,
    allocated_bytes,
    build_model,
    count_params,
    environment,
    fmt_bytes,
    kv_cache_formula_bytes,
    peak_memory_bytes,
    pick_dtype,
    print_table,
    reset_peak_memory,
    setup,
    write_result,
)


@torch.no_grad()
def run_context(
    model: Transformer,
    context: int,
    decode_tokens: int,
    batch: int,
    device: torch.device,
    dtype: torch.dtype,
    gen: torch.Generator,
) -> dict[str, Any]:
    cfg = model.cfg
    prompt = torch.randint(0, cfg.vocab_size, (batch, context), generator=gen)
    prompt = prompt.to(device)
    capacity = context + decode_tokens
    reset_peak_memory(device)

    before = allocated_bytes(device)
    cache = KVCache(cfg, batch, capacity, device, dtype)
    after = allocated_bytes(device)
    allocator_bytes = None if before is None or after is None else after - before
    formula = kv_cache_formula_bytes(cfg, capacity, torch.tensor([], dtype=dtype).element_size(),
                                     batch)
    measured = cache.nbytes()
    if measured != formula:
        raise AssertionError(f"cache tensors hold {measured} bytes, formula says {formula}")

    with Timer(device) as t_prefill:
        logits = model(prompt, cache, last_only=True)
    first = logits[:, -1].argmax(-1, keepdim=True)
    token = first
    with Timer(device) as t_decode:
        for _ in range(decode_tokens):
            logits = model(token, cache)
            token = logits[:, -1].argmax(-1, keepdim=True)
    graph_seconds = None
    if device.type == "cuda":
        graph_seconds = graph_decode(model, cache, first, context, decode_tokens)
    return {
        "context": context,
        "kv_heads": cfg.n_kv_heads,
        "cache_tokens": capacity,
        "cache_bytes_measured": measured,
        "cache_bytes_allocator": allocator_bytes,
        "cache_bytes_formula": formula,
        "cache_bytes_per_token": formula // (capacity * batch),
        "prefill_seconds": t_prefill.seconds,
        "prefill_tokens_per_s": batch * context / t_prefill.seconds,
        "decode_seconds": t_decode.seconds,
        "decode_tokens_per_s": batch * decode_tokens / t_decode.seconds,
        "graph_decode_seconds": graph_seconds,
        "graph_decode_tokens_per_s": None if graph_seconds is None
        else batch * decode_tokens / graph_seconds,
        "peak_memory_bytes": peak_memory_bytes(device),
    }


@torch.no_grad()
def graph_decode(
    model: Transformer, cache: KVCache, first: torch.Tensor, start: int, steps: int
) -> float:
    """Greedy decoding, replaying one captured CUDA graph per token; returns seconds.

    Eager decoding launches hundreds of small kernels per token, and at batch 1 the
    launch overhead, not the GPU, sets the pace. Replaying a captured graph launches
    them all at once, which is what serving engines do; then reading the weights and
    the KV cache from memory is what costs time."""
    device = first.device
    token = first.clone()  # static input/output buffers that the graph reads and writes
    pos = torch.tensor([start], device=device)

    def step() -> None:
        logits = model.decode_step(token, pos, cache)
        token.copy_(logits[:, -1].argmax(-1, keepdim=True))
        pos.add_(1)

    # Warm up on a side stream before capture (cuBLAS handles, allocator pools).
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(2):
            step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step()
    # Warm-up wrote K/V at positions start, start+1; decoding rewrites them first.
    token.copy_(first)
    pos.fill_(start)
    with Timer(device) as t:
        for _ in range(steps):
            graph.replay()
    return t.seconds


@torch.no_grad()
def cache_consistency(
    model: Transformer, device: torch.device, dtype: torch.dtype, gen: torch.Generator
) -> dict[str, float]:
    """Max |logit difference| between cached decoding and one full forward pass, relative
    to the largest logit, for forward(token, cache) and for the graph-ready decode_step.
    Checks the cache and the RoPE offsets are wired correctly."""
    cfg = model.cfg
    seq = torch.randint(0, cfg.vocab_size, (1, 24), generator=gen).to(device)
    full = model(seq).float()
    diffs = {}
    for path in ("forward", "decode_step"):
        cache = KVCache(cfg, 1, seq.shape[1], device, dtype)
        steps = [model(seq[:, :16], cache)]
        for i in range(16, seq.shape[1]):
            if path == "forward":
                steps.append(model(seq[:, i : i + 1], cache))
            else:
                pos = torch.tensor([i], device=device)
                steps.append(model.decode_step(seq[:, i : i + 1], pos, cache))
        cached = torch.cat(steps, dim=1).float()
        diffs[path] = float((cached - full).abs().max() / full.abs().max())
    if dtype != torch.float32:
        # The yardstick for the numbers above: how far bf16 itself is from fp32. A bf16
        # residual stream turns any change of kernel into differences of this order.
        ref = copy.deepcopy(model).float()
        diffs["bf16_vs_fp32"] = float((full - ref(seq).float()).abs().max() / full.abs().max())
        del ref
    return diffs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    parser.add_argument("--contexts", type=int, nargs="+", default=None)
    parser.add_argument("--decode-tokens", type=int, default=None)
    parser.add_argument("--batch", type=int, default=1)
    args = parser.parse_args(argv)
    device = setup(args)
    dtype = pick_dtype(device)

    if args.smoke:
        contexts = args.contexts or [64, 128, 256, 512]
        decode_tokens = args.decode_tokens or 16
        shape: dict[str, Any] = {
            "vocab_size": 256, "dim": 128, "n_layers": 2, "n_heads": 8, "n_kv_heads": 2,
        }
    else:
        contexts = args.contexts or [1024, 2048, 4096, 8192, 16384, 32768]
        decode_tokens = args.decode_tokens or 64
        shape = dict(LLAMA_1B)
    max_len = max(contexts) + decode_tokens
    gqa_cfg = ModelConfig(**shape, max_seq_len=max_len)
    mha_cfg = ModelConfig(**{**shape, "n_kv_heads": shape["n_heads"]}, max_seq_len=max_len)

    results: dict[str, list[dict[str, Any]]] = {}
    params: dict[str, int] = {}
    consistency: dict[str, dict[str, float]] = {}
    for name, cfg in (("GQA", gqa_cfg), ("MHA", mha_cfg)):
        torch.manual_seed(args.seed)
        model = build_model(cfg, device, dtype).eval()
        params[name] = count_params(model)
        gen = torch.Generator().manual_seed(args.seed)
        print(
            f"{name}: {params[name] / 1e6:.1f}M params, {cfg.n_layers} layers, "
            f"{cfg.n_heads} heads, {cfg.n_kv_heads} kv heads, head_dim {cfg.head_dim}, "
            f"{dtype}, {device}"
        )
        consistency[name] = cache_consistency(model, device, dtype, gen)
        # Warm-up: the first call pays for kernel selection and allocator growth.
        run_context(model, min(contexts), 4, args.batch, device, dtype, gen)
        results[name] = [
            run_context(model, c, decode_tokens, args.batch, device, dtype, gen)
            for c in contexts
        ]
        del model
        if device.type == "cuda":
            torch.cuda.empty_cache()

    def tps(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.4g}"

    rows = []
    for g, m in zip(results["GQA"], results["MHA"], strict=True):
        rows.append(
            [g["context"], fmt_bytes(g["cache_bytes_measured"]),
             "yes" if g["cache_bytes_measured"] == g["cache_bytes_formula"] else "NO",
             fmt_bytes(m["cache_bytes_measured"]),
             m["cache_bytes_measured"] / g["cache_bytes_measured"],
             g["prefill_tokens_per_s"], m["prefill_tokens_per_s"],
             g["decode_tokens_per_s"], tps(g["graph_decode_tokens_per_s"]),
             m["decode_tokens_per_s"], tps(m["graph_decode_tokens_per_s"]),
             fmt_bytes(g["peak_memory_bytes"]), fmt_bytes(m["peak_memory_bytes"])]
        )
    print(f"\nbatch {args.batch}, {decode_tokens} decoded tokens per context; tok/s = tokens "
          "per second (dec = greedy decode, eager or CUDA graph)")
    print_table(
        ["context", "GQA cache", "=formula", "MHA cache", "MHA/GQA", "GQA prefill",
         "MHA prefill", "GQA dec", "GQA dec graph", "MHA dec", "MHA dec graph", "GQA peak",
         "MHA peak"],
        rows,
        floatfmt=".4g",
    )
    g0 = results["GQA"][0]
    print(
        f"\ncache bytes per token: GQA {g0['cache_bytes_per_token']}, "
        f"MHA {results['MHA'][0]['cache_bytes_per_token']} "
        f"(= 2 * layers * kv_heads * head_dim * {torch.tensor([], dtype=dtype).element_size()}"
        " bytes)"
    )
    if device.type == "cuda":
        runs = [r for rs in results.values() for r in rs]
        exact = sum(r["cache_bytes_allocator"] == r["cache_bytes_formula"] for r in runs)
        over = max(r["cache_bytes_allocator"] - r["cache_bytes_formula"] for r in runs)
        print(f"CUDA allocator growth equals the formula for {exact} of {len(runs)} caches; "
              f"at most {fmt_bytes(over)} more (a block it chose not to split)")
    else:
        print("peak memory on CPU is the process's peak RSS (includes torch itself); "
              "CUDA graphs need a GPU")
    print("cached vs full-forward logits, max |diff| / max |logit|: " + "; ".join(
        f"{k} {p} {v:.2e}" for k, d in consistency.items() for p, v in d.items()))
    print("(forward uses the same attention kernel as the full pass; decode_step, the graph "
          "path, its own)")

    write_result(
        args.out,
        {
            "lab": "kv_cache_throughput",
            "smoke": args.smoke,
            "seed": args.seed,
            "dtype": str(dtype),
            "batch": args.batch,
            "decode_tokens": decode_tokens,
            "configs": {"GQA": gqa_cfg.to_dict(), "MHA": mha_cfg.to_dict()},
            "params": params,
            "results": results,
            "cache_consistency_rel_max_diff": consistency,
            "env": environment(device),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
