"""Shared pieces for the olwsite labs: a small LLaMA-style decoder, a synthetic task,
device/dtype selection, timing, peak-memory and JSON result helpers.

Everything is plain PyTorch and built in code: no weights or data are downloaded.
The model follows the LLaMA layout (pre-norm RMSNorm, rotary position embeddings,
grouped-query attention with a KV cache, SwiGLU feed-forward) with an optional
top-k mixture-of-experts feed-forward, so the labs can measure the same things one
would measure on a real open-weight checkpoint.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import sys
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812 (PyTorch's own convention)
from torch import nn

IGNORE_INDEX = -100

# ---------------------------------------------------------------------------
# Device, dtype, seeds
# ---------------------------------------------------------------------------


def pick_device(requested: str = "auto") -> torch.device:
    """cuda when available (or asked for), else cpu."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(requested)


def pick_dtype(device: torch.device) -> torch.dtype:
    """bf16 on GPU (what open-weight models ship in); fp32 on CPU, where bf16 is slow."""
    return torch.bfloat16 if device.type == "cuda" else torch.float32


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def autocast(device: torch.device) -> Any:
    """bf16 autocast on GPU (fp32 master weights, bf16 matmuls); nothing on CPU."""
    if device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return nullcontext()


def add_common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--smoke", action="store_true", help="tiny CPU-sized run for CI (a few seconds)"
    )
    parser.add_argument("--out", type=Path, default=None, help="write measured figures as JSON")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--device", default="auto", help="auto (cuda if available), cuda or cpu"
    )


def setup(args: argparse.Namespace) -> torch.device:
    """Seed, pick the device and keep CPU runs small-machine friendly."""
    seed_everything(args.seed)
    if args.smoke:
        # Tiny tensors gain nothing from threads, and spinning OpenMP threads slow down
        # by 10x when a busy 2-core CI machine has another process on the other core.
        torch.set_num_threads(1)
    device = pick_device("cpu" if args.smoke and args.device == "auto" else args.device)
    if device.type == "cpu":
        # Denormal floats (e.g. the tiny router gradients of experts nobody picks) run
        # 10-100x slower on x86 CPUs; flushing them to zero changes nothing measured here.
        torch.set_flush_denormal(True)
    return device


# ---------------------------------------------------------------------------
# Timing and memory
# ---------------------------------------------------------------------------


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Timer:
    """Wall-clock timer that synchronises the GPU, so kernels are counted, not queued."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.seconds = 0.0

    def __enter__(self) -> Timer:
        sync(self.device)
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        sync(self.device)
        self.seconds = time.perf_counter() - self._t0


def reset_peak_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def peak_memory_bytes(device: torch.device) -> int:
    """Peak bytes since the last reset: allocator peak on GPU.

    On CPU it is the process's peak resident set (ru_maxrss), which cannot be reset and
    includes the Python interpreter and torch itself: a coarse upper bound only.
    """
    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss if sys.platform == "darwin" else rss * 1024)  # Linux reports KiB


def allocated_bytes(device: torch.device) -> int | None:
    """Bytes currently held by tensors on the GPU; None on CPU (no allocator counter)."""
    if device.type == "cuda":
        return int(torch.cuda.memory_allocated(device))
    return None


def fmt_bytes(n: float | None) -> str:
    if n is None:
        return "n/a"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} GiB"


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


def print_table(headers: list[str], rows: list[list[Any]], floatfmt: str = ".4g") -> None:
    """Plain-text table: no dependency, readable in a terminal and in CI logs."""

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return format(v, floatfmt)
        return str(v)

    body = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(headers)]
    print("  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in body:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))


def environment(device: torch.device) -> dict[str, Any]:
    env: dict[str, Any] = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "device": str(device),
        "cpu_threads": torch.get_num_threads(),
    }
    if device.type == "cuda":
        env["gpu"] = torch.cuda.get_device_name(device)
    return env


def write_result(path: Path | None, result: dict[str, Any]) -> None:
    """Write measured figures as JSON (numbers, not prose), if --out was given."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(result, indent=2, sort_keys=True, default=_jsonable) + "\n")
    os.replace(tmp, path)  # a reader never sees half a file
    print(f"\nwrote {path}")


def _jsonable(v: Any) -> Any:
    if isinstance(v, torch.Tensor):
        return v.tolist()
    if isinstance(v, (torch.dtype, torch.device, Path)):
        return str(v)
    raise TypeError(f"not JSON serialisable: {type(v)}")


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------


@dataclass
class ModelConfig:
    vocab_size: int = 256
    dim: int = 256
    n_layers: int = 4
    n_heads: int = 8
    n_kv_heads: int = 2  # < n_heads: grouped-query attention; == n_heads: plain MHA
    ffn_hidden: int | None = None  # None: LLaMA's 2/3 * 4 * dim rounded up
    multiple_of: int = 64
    max_seq_len: int = 2048
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    n_experts: int = 0  # 0: dense SwiGLU FFN; >0: top-k MoE of SwiGLU experts
    top_k: int = 2
    tie_embeddings: bool = False

    def __post_init__(self) -> None:
        if self.dim % self.n_heads:
            raise ValueError("dim must be divisible by n_heads")
        if self.n_heads % self.n_kv_heads:
            raise ValueError("n_heads must be divisible by n_kv_heads")
        if self.ffn_hidden is None:
            hidden = int(2 * 4 * self.dim / 3)
            self.ffn_hidden = self.multiple_of * math.ceil(hidden / self.multiple_of)

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# A 1.1B-parameter shape (the TinyLlama-1.1B layout): big enough that memory and
# bandwidth behave like a real model on a GPU, small enough to train briefly.
LLAMA_1B = {
    "vocab_size": 32000,
    "dim": 2048,
    "n_layers": 22,
    "n_heads": 32,
    "n_kv_heads": 4,
    "ffn_hidden": 5632,
}


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Normalise in fp32: the mean of squares overflows/underflows easily in bf16.
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return xf.type_as(x) * self.weight.type_as(x)


def rope_tables(head_dim: int, max_len: int, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin tables for rotary embeddings, [max_len, head_dim]."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    t = torch.arange(max_len, dtype=torch.float64)
    freqs = torch.outer(t, inv_freq)
    emb = torch.cat([freqs, freqs], dim=-1)  # "rotate half" layout, as in HF LLaMA
    return emb.cos().float(), emb.sin().float()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x: [B, H, T, D]; cos/sin: [T, D]. Rotates pairs (i, i + D/2) by position angle."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return (x.float() * cos + rotated.float() * sin).type_as(x)


class KVCache:
    """Pre-allocated key/value cache: one [B, kv_heads, capacity, head_dim] pair per layer.

    Pre-allocating (a "static" cache) makes the memory cost explicit: it is exactly
    2 * layers * kv_heads * head_dim * bytes_per_element * capacity * batch.
    """

    def __init__(
        self,
        cfg: ModelConfig,
        batch: int,
        capacity: int,
        device: torch.device,
        dtype: torch.dtype,
    ) -> None:
        shape = (batch, cfg.n_kv_heads, capacity, cfg.head_dim)
        self.k = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(cfg.n_layers)]
        self.v = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(cfg.n_layers)]
        self.capacity = capacity
        self.pos = 0  # tokens written so far (shared by all layers)

    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self.k + self.v)

    def update(
        self, layer: int, k: torch.Tensor, v: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        t = k.shape[2]
        if self.pos + t > self.capacity:
            raise RuntimeError(f"KV cache full: {self.pos}+{t} > {self.capacity}")
        self.k[layer][:, :, self.pos : self.pos + t] = k
        self.v[layer][:, :, self.pos : self.pos + t] = v
        end = self.pos + t
        return self.k[layer][:, :, :end], self.v[layer][:, :, :end]


def kv_cache_formula_bytes(
    cfg: ModelConfig, tokens: int, bytes_per_element: int, batch: int = 1
) -> int:
    """The textbook formula: 2 (K and V) * layers * kv_heads * head_dim * bytes * tokens."""
    return 2 * cfg.n_layers * cfg.n_kv_heads * cfg.head_dim * bytes_per_element * tokens * batch


_BMM_OUT_DTYPE: dict[str, bool] = {}


def _bmm_fp32(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a @ b with fp32 output. Attention scores rounded to bf16 lose ~3 digits before the
    softmax (flash kernels keep them in fp32), so on GPU ask the bf16 matmul for an fp32
    result where this torch supports it (bmm's out_dtype, CUDA only)."""
    if a.dtype == torch.float32 or a.device.type != "cuda":
        return torch.bmm(a, b).float()
    if "cuda" not in _BMM_OUT_DTYPE:  # probed once, eagerly, before any graph capture
        try:
            torch.bmm(a[:1, :1], b[:1, :, :1], out_dtype=torch.float32)
            _BMM_OUT_DTYPE["cuda"] = True
        except (TypeError, RuntimeError, NotImplementedError):
            _BMM_OUT_DTYPE["cuda"] = False
    if _BMM_OUT_DTYPE["cuda"]:
        return torch.bmm(a, b, out_dtype=torch.float32)
    return torch.bmm(a, b).float()


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig, layer_idx: int) -> None:
        super().__init__()
        self.cfg = cfg
        self.layer_idx = layer_idx
        hd = cfg.head_dim
        self.wq = nn.Linear(cfg.dim, cfg.n_heads * hd, bias=False)
        self.wk = nn.Linear(cfg.dim, cfg.n_kv_heads * hd, bias=False)
        self.wv = nn.Linear(cfg.dim, cfg.n_kv_heads * hd, bias=False)
        self.wo = nn.Linear(cfg.n_heads * hd, cfg.dim, bias=False)

    def forward(
        self,
        x: torch.Tensor,
        cos: torch.Tensor,
        sin: torch.Tensor,
        cache: KVCache | None,
    ) -> torch.Tensor:
        b, t, _ = x.shape
        hd = self.cfg.head_dim
        q = self.wq(x).view(b, t, self.cfg.n_heads, hd).transpose(1, 2)
        k = self.wk(x).view(b, t, self.cfg.n_kv_heads, hd).transpose(1, 2)
        v = self.wv(x).view(b, t, self.cfg.n_kv_heads, hd).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        past = 0
        if cache is not None:
            past = cache.pos
            k, v = cache.update(self.layer_idx, k, v)
        gqa = self.cfg.n_kv_heads != self.cfg.n_heads
        if past == 0:
            # Prefill or training: plain causal attention.
            out = F.scaled_dot_product_attention(q, k, v, is_causal=t > 1, enable_gqa=gqa)
        elif t == 1:
            # One new token sees every cached position: no mask needed.
            out = F.scaled_dot_product_attention(q, k, v, enable_gqa=gqa)
        else:
            # Chunk after a prefix: causal mask aligned to the end (SDPA's is_causal
            # aligns to the top-left corner, which would be wrong here).
            s = k.shape[2]
            mask = torch.ones(t, s, dtype=torch.bool, device=x.device).tril(diagonal=s - t)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=gqa)
        return self.wo(out.transpose(1, 2).reshape(b, t, -1))

    def decode_step(
        self,
        x: torch.Tensor,
        cos: torch.Tensor,
        sin: torch.Tensor,
        cache: KVCache,
        pos: torch.Tensor,
    ) -> torch.Tensor:
        """One new token at position `pos` (a 1-element device tensor, not a Python int).

        Everything has a fixed shape and no host sync, so the step can be captured in a
        CUDA graph: the new K/V are written with index_copy_, and attention runs over the
        whole cache capacity with positions > pos masked out. GQA is done by grouping
        query heads per KV head, so the cache is read once and never copied per head.
        """
        b = x.shape[0]
        cfg = self.cfg
        hd, kv, group = cfg.head_dim, cfg.n_kv_heads, cfg.n_heads // cfg.n_kv_heads
        q = self.wq(x).view(b, 1, cfg.n_heads, hd).transpose(1, 2)
        k = self.wk(x).view(b, 1, kv, hd).transpose(1, 2)
        v = self.wv(x).view(b, 1, kv, hd).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        cache.k[self.layer_idx].index_copy_(2, pos, k)
        cache.v[self.layer_idx].index_copy_(2, pos, v)
        cap = cache.capacity
        keys = cache.k[self.layer_idx].view(b * kv, cap, hd)
        values = cache.v[self.layer_idx].view(b * kv, cap, hd)
        # Query head h uses KV head h // group: the `group` query heads sharing a KV head
        # form the rows of one matmul against that head's keys, read once.
        q = q.reshape(b * kv, group, hd) * (1.0 / math.sqrt(hd))
        scores = _bmm_fp32(q, keys.transpose(1, 2))  # [B*kv, group, cap]
        valid = torch.arange(cap, device=x.device) <= pos
        probs = scores.masked_fill(~valid, float("-inf")).softmax(dim=-1).to(values.dtype)
        out = torch.bmm(probs, values)  # [B*kv, group, hd]
        return self.wo(out.reshape(b, 1, cfg.n_heads * hd))


class SwiGLU(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.w1 = nn.Linear(dim, hidden, bias=False)  # gate
        self.w3 = nn.Linear(dim, hidden, bias=False)  # up
        self.w2 = nn.Linear(hidden, dim, bias=False)  # down

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


@dataclass
class RouterStats:
    """What one MoE layer's router did on the last forward pass."""

    probs: torch.Tensor  # [tokens, experts] softmax over all experts (fp32)
    topk_idx: torch.Tensor  # [tokens, k] chosen experts
    aux_loss: torch.Tensor  # Switch load-balancing loss N * sum_i f_i * P_i (scalar)


class MoEFFN(nn.Module):
    """Token-choice top-k mixture of SwiGLU experts (Mixtral-style renormalised gates).

    No token is dropped during the forward pass ("dropless"); what a fixed capacity
    would drop is measured from the router statistics instead.
    """

    def __init__(self, dim: int, hidden: int, n_experts: int, top_k: int) -> None:
        super().__init__()
        self.n_experts = n_experts
        self.top_k = top_k
        self.router = nn.Linear(dim, n_experts, bias=False)
        self.experts = nn.ModuleList(SwiGLU(dim, hidden) for _ in range(n_experts))
        self.last: RouterStats | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        flat = x.reshape(-1, shape[-1])
        logits = self.router(flat).float()  # routing decisions in fp32
        probs = logits.softmax(dim=-1)
        gate, idx = probs.topk(self.top_k, dim=-1)
        gate = gate / gate.sum(dim=-1, keepdim=True)
        out = torch.zeros_like(flat)
        for e, expert in enumerate(self.experts):
            tok, slot = (idx == e).nonzero(as_tuple=True)
            if tok.numel() == 0:
                continue
            y = expert(flat[tok]) * gate[tok, slot].unsqueeze(-1).to(flat.dtype)
            out.index_add_(0, tok, y.to(out.dtype))
        # f_i: fraction of (token, slot) assignments that went to expert i (not
        # differentiable); P_i: mean router probability of expert i (differentiable).
        counts = torch.bincount(idx.flatten(), minlength=self.n_experts).float()
        f = counts / counts.sum()
        p = probs.mean(dim=0)
        aux = self.n_experts * (f * p).sum()
        self.last = RouterStats(probs=probs.detach(), topk_idx=idx.detach(), aux_loss=aux)
        return out.view(shape)


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig, layer_idx: int) -> None:
        super().__init__()
        assert cfg.ffn_hidden is not None
        self.attn_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.attn = Attention(cfg, layer_idx)
        self.ffn_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.ffn: nn.Module
        if cfg.n_experts > 0:
            self.ffn = MoEFFN(cfg.dim, cfg.ffn_hidden, cfg.n_experts, cfg.top_k)
        else:
            self.ffn = SwiGLU(cfg.dim, cfg.ffn_hidden)

    def forward(
        self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, cache: KVCache | None
    ) -> torch.Tensor:
        x = x + self.attn(self.attn_norm(x), cos, sin, cache)
        return x + self.ffn(self.ffn_norm(x))

    def decode_step(
        self,
        x: torch.Tensor,
        cos: torch.Tensor,
        sin: torch.Tensor,
        cache: KVCache,
        pos: torch.Tensor,
    ) -> torch.Tensor:
        x = x + self.attn.decode_step(self.attn_norm(x), cos, sin, cache, pos)
        return x + self.ffn(self.ffn_norm(x))


class Transformer(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.layers = nn.ModuleList(Block(cfg, i) for i in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.lm_head = nn.Linear(cfg.dim, cfg.vocab_size, bias=False)
        if cfg.tie_embeddings:
            self.lm_head.weight = self.embed.weight
        cos, sin = rope_tables(cfg.head_dim, cfg.max_seq_len, cfg.rope_theta)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        self.apply(self._init)
        # GPT-2/LLaMA-style: shrink residual-branch outputs so depth doesn't blow up.
        for name, p in self.named_parameters():
            if name.endswith(("wo.weight", "w2.weight")):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * cfg.n_layers))

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def forward(
        self,
        tokens: torch.Tensor,
        cache: KVCache | None = None,
        last_only: bool = False,
    ) -> torch.Tensor:
        """tokens [B, T] -> logits [B, T, V] (or [B, 1, V] with last_only)."""
        t = tokens.shape[1]
        start = cache.pos if cache is not None else 0
        if start + t > self.cfg.max_seq_len:
            raise ValueError(f"sequence {start + t} exceeds max_seq_len {self.cfg.max_seq_len}")
        cos = self.rope_cos[start : start + t]
        sin = self.rope_sin[start : start + t]
        x = self.embed(tokens)
        for layer in self.layers:
            x = layer(x, cos, sin, cache)
        if cache is not None:
            cache.pos += t
        if last_only:
            x = x[:, -1:]  # prefill only needs the next-token logits: skip a [T, V] matmul
        return self.lm_head(self.norm(x))

    def decode_step(self, token: torch.Tensor, pos: torch.Tensor, cache: KVCache) -> torch.Tensor:
        """token [B, 1] at position pos (1-element long tensor on the device) -> logits.

        The graph-capturable twin of forward(token, cache): it neither reads nor advances
        cache.pos, so the caller owns the position (see Attention.decode_step)."""
        cos = self.rope_cos.index_select(0, pos)
        sin = self.rope_sin.index_select(0, pos)
        x = self.embed(token)
        for layer in self.layers:
            x = layer.decode_step(x, cos, sin, cache, pos)
        return self.lm_head(self.norm(x))

    def moe_layers(self) -> list[MoEFFN]:
        return [m for m in self.modules() if isinstance(m, MoEFFN)]


def count_params(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def build_model(
    cfg: ModelConfig, device: torch.device, dtype: torch.dtype = torch.float32
) -> Transformer:
    """Initialise directly on the target device (a 1B model inits in ms on a GPU)."""
    with torch.device(device):
        model = Transformer(cfg)
    return model.to(dtype)


# ---------------------------------------------------------------------------
# Synthetic task
# ---------------------------------------------------------------------------


@dataclass
class SyntheticTask:
    """Sequences with a learnable rule, so a falling loss means something was learned.

    Layout: [BOS, x_1..x_n, SEP, y_1..y_n] where x are random symbols from an
    alphabet of `n_symbols` tokens and y is a function of x:
      copy:    y = x
      reverse: y = x reversed
      modsum:  y_i = (x_1 + ... + x_i) mod n_symbols   (running sum)
    Loss is only taken on the y part. A model that has merely learned which tokens
    can appear reaches ln(n_symbols); solving the rule takes it towards 0.
    """

    kind: str = "copy"
    n_symbols: int = 16
    length: int = 16  # n
    vocab_size: int = 256

    BOS = 0
    SEP = 1
    FIRST_SYMBOL = 2

    def __post_init__(self) -> None:
        if self.kind not in ("copy", "reverse", "modsum"):
            raise ValueError(f"unknown task kind {self.kind!r}")
        if self.FIRST_SYMBOL + self.n_symbols > self.vocab_size:
            raise ValueError("alphabet does not fit in the vocabulary")

    @property
    def seq_len(self) -> int:
        """Length of the model input (the full sequence minus its last token)."""
        return 2 * self.length + 1

    @property
    def chance_loss(self) -> float:
        """Loss of a model that knows the alphabet but not the rule."""
        return math.log(self.n_symbols)

    def batch(
        self, batch_size: int, generator: torch.Generator, device: torch.device
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(inputs [B, 2n+1], targets [B, 2n+1]) with IGNORE_INDEX outside the answer."""
        x = torch.randint(0, self.n_symbols, (batch_size, self.length), generator=generator)
        if self.kind == "copy":
            y = x
        elif self.kind == "reverse":
            y = x.flip(1)
        else:
            y = x.cumsum(1) % self.n_symbols
        bos = torch.full((batch_size, 1), self.BOS)
        sep = torch.full((batch_size, 1), self.SEP)
        seq = torch.cat([bos, x + self.FIRST_SYMBOL, sep, y + self.FIRST_SYMBOL], dim=1)
        inputs, targets = seq[:, :-1].clone(), seq[:, 1:].clone()
        targets[:, : self.length] = IGNORE_INDEX  # predicting random x is impossible
        return inputs.to(device), targets.to(device)


def lm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]),
        targets.reshape(-1),
        ignore_index=IGNORE_INDEX,
    )


@torch.no_grad()
def evaluate(
    model: nn.Module,
    task: SyntheticTask,
    device: torch.device,
    batches: int = 4,
    batch_size: int = 32,
    seed: int = 12345,
) -> dict[str, float]:
    """Loss and per-token accuracy on a fixed held-out set (same seed every call)."""
    gen = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    total, correct, count = 0.0, 0, 0
    for _ in range(batches):
        x, y = task.batch(batch_size, gen, device)
        with autocast(device):
            logits = model(x)
        total += float(lm_loss(logits, y))
        mask = y != IGNORE_INDEX
        correct += int((logits.argmax(-1)[mask] == y[mask]).sum())
        count += int(mask.sum())
    model.train(was_training)
    return {"loss": total / batches, "accuracy": correct / max(count, 1)}
