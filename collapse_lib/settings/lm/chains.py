"""Several language-model chains as one batched computation (chapter *Language models*).

A *chain* is one seed of one workflow: a copy of the pre-trained base fine-tuned on its own
training set, sampled with its own random numbers and scored on the real test set. The
chains of a run are independent, and at this size each of them alone keeps the
CPU busy with small kernels. Here ``C`` chains of the same GPT-2 share every kernel: their
weights are stacked on a leading axis (:class:`Stack`), every matrix product is one batched
product over that axis (``torch.baddbmm``), and one optimiser step updates every chain.

What stays per chain, so that **a chain's numbers do not depend on the chains beside it**
(bit for bit on one machine, tested in ``tests/test_lm.py``):

* its random streams: the order of its batches (:func:`~collapse_lib.settings.lm.model.length_batches`
  from its own generator), its sampling uniforms (its own ``torch.Generator``), the top-up
  rounds of its sampling;
* its data layout: the tokens of a chain's batch are *packed* (its sequences one after the
  other, no padding between them), so a batched product sums each chain's tokens in the same
  order whatever the other chains hold; only zero rows follow them. Attention, the one
  operation that needs sequences, runs per chain on the chain's own padded batch;
* every statistic that sums over tokens or parameters (the gradient norm that clipping
  uses, the training and test losses) is summed per chain, in float64, from per-row values.

Elementwise kernels are vectorised, and a scalar tail could round differently from the
vector body; with widths that are multiples of 32 (the local model's 64, 256, 2048) no
tensor has a tail inside a chain's slice. The batched products themselves were checked
(``tests/test_lm.py``): a chain's rows and its weight gradients do not change when other
chains, or zero rows, are added to the batch.

The same code runs on a GPU, with ``amp="bfloat16"`` computing the products in bfloat16
while the weights and AdamW's state stay float32. On a GPU the guarantee is weaker: cuBLAS
may pick another algorithm for another batch size; results then agree to rounding.

Only GPT-2 models are stacked (:func:`supports`); any other model (a hub model such as
Gemma) runs one chain at a time through :mod:`collapse_lib.settings.lm.model`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from .model import FitStats, SampleStats, autocast, draw_categorical, length_batches, lr_factor

__all__ = ["Stack", "supports", "train_chains", "train_model", "score_chains", "sample_chains", "ChainBatch"]


def supports(model: Any) -> bool:
    """Whether ``model`` is a GPT-2 that :class:`Stack` reproduces: ``GPT2LMHeadModel`` with
    GELU-tanh, tied embeddings, plain attention scaling and no dropout in use."""
    from transformers import GPT2LMHeadModel

    cfg = getattr(model, "config", None)
    return (type(model) is GPT2LMHeadModel and cfg.activation_function in ("gelu_new", "gelu_pytorch_tanh")
            and cfg.scale_attn_weights and not cfg.scale_attn_by_inverse_layer_idx
            and not cfg.reorder_and_upcast_attn and bool(getattr(cfg, "tie_word_embeddings", True)))


# --- products whose gradients sum each chain's own tokens --------------------------------

def _compute_dtype(device: torch.device) -> torch.dtype:
    """The dtype autocast gives matrix products on ``device`` in the current block (float32 without it)."""
    kind = device.type
    return torch.get_autocast_dtype(kind) if torch.is_autocast_enabled(kind) else torch.float32


#: Widths (tokens of a packed batch, rows of a decoder) are rounded up to a multiple of this:
#: every chain's slice of a stacked activation then starts on a 64-byte boundary, as it does
#: alone (a matrix-product library may take another code path for another alignment).
ALIGN = 16


def _aligned(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def _own_rows(t: torch.Tensor, counts: Sequence[int]) -> list[torch.Tensor]:
    """Each chain's first ``counts[c]`` rows of ``t`` ``(C, N, ...)``: its own tokens."""
    return [t[c, :n] for c, n in enumerate(counts)]


class _Linear(torch.autograd.Function):
    """``x @ w + b`` for every chain at once (``x`` ``(C, N, i)``, ``w`` ``(C, i, o)``, ``b``
    ``(C, o)``). The backward pass sums the weight and bias gradients of chain c over its own
    ``counts[c]`` tokens, one product per chain: the same sums, in the same order, whatever
    the other chains hold (a batched product over the padded width could block its sum
    differently when the width changes)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor,  # noqa: PLR0917  (Function.apply passes by position)
                counts: Sequence[int], dtype: torch.dtype) -> torch.Tensor:
        ctx.counts, ctx.dtypes = counts, (x.dtype, w.dtype, b.dtype)
        x, w, b = x.to(dtype), w.to(dtype), b.to(dtype)
        ctx.save_for_backward(x, w)
        return torch.baddbmm(b[:, None, :], x, w)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, w = ctx.saved_tensors
        g = g.to(x.dtype)
        gx = torch.bmm(g, w.transpose(1, 2))
        gw = torch.stack([xc.T @ gc for xc, gc in zip(_own_rows(x, ctx.counts), _own_rows(g, ctx.counts))])
        gb = torch.stack([gc.sum(0) for gc in _own_rows(g, ctx.counts)])
        return gx.to(ctx.dtypes[0]), gw.to(ctx.dtypes[1]), gb.to(ctx.dtypes[2]), None, None


class _Head(torch.autograd.Function):
    """The logits ``h @ wte^T`` of every chain (the output head tied to the embedding), the
    embedding's gradient summed per chain over its own tokens (see :class:`_Linear`)."""

    @staticmethod
    def forward(ctx: Any, h: torch.Tensor, wte: torch.Tensor, counts: Sequence[int],
                dtype: torch.dtype) -> torch.Tensor:
        ctx.counts, ctx.dtypes = counts, (h.dtype, wte.dtype)
        h, wte = h.to(dtype), wte.to(dtype)
        ctx.save_for_backward(h, wte)
        return torch.bmm(h, wte.transpose(1, 2))

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        h, wte = ctx.saved_tensors
        g = g.to(h.dtype)
        gh = torch.bmm(g, wte)
        gw = torch.stack([gc.T @ hc for hc, gc in zip(_own_rows(h, ctx.counts), _own_rows(g, ctx.counts))])
        return gh.to(ctx.dtypes[0]), gw.to(ctx.dtypes[1]), None, None


class _Affine(torch.autograd.Function):
    """``x * g + b`` with per-chain gain and bias (a layer norm's), their gradients summed
    per chain over its own tokens (see :class:`_Linear`)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, g: torch.Tensor, b: torch.Tensor, counts: Sequence[int]) -> torch.Tensor:
        ctx.counts = counts
        ctx.save_for_backward(x, g)
        return x * g[:, None, :] + b[:, None, :]

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, g = ctx.saved_tensors
        gx = grad * g[:, None, :]
        rows = _own_rows(grad, ctx.counts)
        gg = torch.stack([(gc * xc).sum(0) for gc, xc in zip(rows, _own_rows(x, ctx.counts))])
        gb = torch.stack([gc.sum(0) for gc in rows])
        return gx, gg, gb, None


#: The weights of one block, in the order :meth:`Stack.blocks` returns them (GPT-2's names).
BLOCK = ("ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight",
         "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
         "mlp.c_proj.weight", "mlp.c_proj.bias")


class Stack:
    """The weights of ``count`` GPT-2 chains, each a copy of ``base``, stacked on axis 0.

    ``params`` maps GPT-2's parameter names (``transformer.wte.weight``, ...) to float32
    tensors of shape ``(count, *shape)``; the output head is tied to the token embedding.
    :meth:`chain` writes one chain back into a ``GPT2LMHeadModel``.
    """

    def __init__(self, params: dict[str, torch.Tensor], config: Any) -> None:
        self.params = params
        self.config = config
        self.count = next(iter(params.values())).shape[0]
        self.n_head = config.n_head
        self.d = config.n_embd
        self.eps = config.layer_norm_epsilon
        self.vocab = params["transformer.wte.weight"].shape[1]
        self.positions = params["transformer.wpe.weight"].shape[1]

    @classmethod
    def of(cls, base: Any, count: int, device: torch.device | str = "cpu") -> Stack:
        """``count`` copies of the GPT-2 ``base`` (its weights are not modified)."""
        if not supports(base):
            raise ValueError("only a plain GPT2LMHeadModel (GELU-tanh, tied embeddings) can be stacked")
        device = torch.device(device)
        params = {}
        for name, value in base.named_parameters():
            if not name.startswith("transformer."):
                continue
            v = value.detach().to(device=device, dtype=torch.float32)
            params[name] = v.unsqueeze(0).repeat(count, *([1] * v.dim())).contiguous()
        return cls(params, base.config)

    def subset(self, chains: Sequence[int]) -> Stack:
        """The chains ``chains`` (a copy of their weights), in that order."""
        index = torch.as_tensor(list(chains), device=self.device)
        return Stack({k: v.index_select(0, index) for k, v in self.params.items()}, self.config)

    @property
    def device(self) -> torch.device:
        return self.params["transformer.wte.weight"].device

    def blocks(self) -> list[list[torch.Tensor]]:
        return [[self.params[f"transformer.h.{i}.{name}"] for name in BLOCK] for i in range(self.config.n_layer)]

    def chain(self, c: int, model: Any | None = None):
        """Chain ``c`` as a ``GPT2LMHeadModel`` (a new one, or ``model`` overwritten)."""
        from transformers import GPT2LMHeadModel

        if model is None:
            model = GPT2LMHeadModel(self.config)
        state = {k: v[c].detach().to("cpu") for k, v in self.params.items()}
        state["lm_head.weight"] = state["transformer.wte.weight"]
        model.load_state_dict(state, strict=False)
        model.eval()
        return model

    def parameters(self) -> list[torch.Tensor]:
        return list(self.params.values())

    # --- the forward pass over packed tokens ------------------------------------------

    def _norm(self, x: torch.Tensor, g: torch.Tensor, b: torch.Tensor, counts: Sequence[int] | None = None
              ) -> torch.Tensor:
        """Layer norm with per-chain gain and bias: normalise each row, then scale and shift
        (exact elementwise operations, no fused kernel whose rounding could depend on the
        position in the tensor); with ``counts``, gradients summed per chain (:class:`_Affine`)."""
        xhat = F.layer_norm(x, (self.d,), eps=self.eps)
        if counts is not None and torch.is_grad_enabled():
            return _Affine.apply(xhat, g, b, counts)
        return xhat * g[:, None, :] + b[:, None, :]

    def hidden(self, batch: ChainBatch, amp: str = "float32") -> torch.Tensor:
        """Final hidden states ``(C, N, d)`` of the packed tokens of ``batch``."""
        d, H = self.d, self.n_head
        longest = max(width for _, width in batch.shapes)
        if longest > self.positions:  # its positions would read the next chain's embedding
            raise ValueError(f"a sequence of {longest} tokens is longer than the model's {self.positions} positions")
        wte = self.params["transformer.wte.weight"]
        wpe = self.params["transformer.wpe.weight"]
        n = batch.counts
        x = (F.embedding(batch.ids + batch.offset * self.vocab, wte.reshape(-1, d))
             + F.embedding(batch.pos + batch.offset * self.positions, wpe.reshape(-1, d)))
        with autocast(x.device, amp):
            dtype = _compute_dtype(x.device)
        for g1, b1, wa, ba, wp, bp, g2, b2, wf, bf, wo, bo in self.blocks():
            h = self._norm(x, g1, b1, n)
            qkv = _Linear.apply(h, wa, ba, n, dtype)
            with autocast(x.device, amp):
                att = batch.attention(qkv, H)
            x = x + _Linear.apply(att, wp, bp, n, dtype)
            h = self._norm(x, g2, b2, n)
            x = x + _Linear.apply(F.gelu(_Linear.apply(h, wf, bf, n, dtype), approximate="tanh"), wo, bo, n, dtype)
        return self._norm(x.float(), self.params["transformer.ln_f.weight"], self.params["transformer.ln_f.bias"], n)

    def token_losses(self, batch: ChainBatch, amp: str = "float32") -> torch.Tensor:
        """Cross-entropy (nats) of every packed token's next token, ``(C, N)``; 0 where there
        is no target (the last token of a sequence, and the padding after a chain's tokens)."""
        h = self.hidden(batch, amp)
        with autocast(h.device, amp):
            dtype = _compute_dtype(h.device)
        logits = _Head.apply(h, self.params["transformer.wte.weight"], batch.counts, dtype)
        losses = F.cross_entropy(logits.float().reshape(-1, self.vocab), batch.targets.reshape(-1),
                                 ignore_index=-100, reduction="none")
        return losses.view(self.count, -1)


# --- batches of packed tokens ------------------------------------------------------------

class ChainBatch:
    """One batch per chain, packed: chain c's sequences one after the other in row c of
    ``ids`` (``(C, N)``, N the longest chain's token count, zero padding after), with each
    token's position in its sequence, its target (the next token of the same sequence, -100
    at a sequence's last token and at padding) and the index maps between the packed rows and
    the chain's padded ``(B_c, L_c)`` layout that attention needs."""

    def __init__(self, chains: Sequence[Sequence[Sequence[int]]], device: torch.device, pad_id: int = 0) -> None:
        C = len(chains)
        counts = [sum(len(s) for s in seqs) for seqs in chains]
        N = _aligned(max(counts))
        ids = np.full((C, N), pad_id, dtype=np.int64)
        pos = np.zeros((C, N), dtype=np.int64)
        tgt = np.full((C, N), -100, dtype=np.int64)
        self.shapes: list[tuple[int, int]] = []
        unpack, pack = [], []
        base = 0  # where chain c's padded layout starts in the concatenation of all chains'
        for c, seqs in enumerate(chains):
            lengths = np.array([len(s) for s in seqs], dtype=np.int64)
            width = int(lengths.max())
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            flat = np.concatenate([np.asarray(s, dtype=np.int64) for s in seqs])
            ids[c, :len(flat)] = flat
            # padded layout (B_c, L_c): row b holds sequence b, then copies of the chain's
            # first token (never attended to by a real token: they come after it, and
            # attention is causal); packed token i sits at `where[i]` of that layout
            grid = np.full((len(seqs), width), c * N, dtype=np.int64)
            where = np.full(N, -1, dtype=np.int64)
            for b, (start, n) in enumerate(zip(starts, lengths)):
                pos[c, start:start + n] = np.arange(n)
                tgt[c, start:start + n - 1] = flat[start + 1:start + n]
                grid[b, :n] = c * N + np.arange(start, start + n)
                where[start:start + n] = base + b * width + np.arange(n)
            unpack.append(grid.reshape(-1))
            pack.append(where)
            self.shapes.append((len(seqs), width))
            base += len(seqs) * width
        self.count, self.width = C, N
        self.counts = counts
        self.ids = torch.from_numpy(ids).to(device)
        self.pos = torch.from_numpy(pos).to(device)
        self.targets = torch.from_numpy(tgt).to(device)
        self.offset = torch.arange(C, device=device)[:, None]
        # one gather from the packed rows of every chain into all chains' padded layouts, and
        # one gather back (padding rows of the packed layout read a zero row at the end)
        packed = np.concatenate(pack)
        packed[packed < 0] = base
        self.unpack = torch.from_numpy(np.concatenate(unpack)).to(device)
        self.pack = torch.from_numpy(packed).to(device)
        self.real = tgt != -100  # numpy: the tokens that have a target

    def attention(self, qkv: torch.Tensor, n_head: int) -> torch.Tensor:
        """Causal self-attention within each sequence: ``qkv`` ``(C, N, 3d)`` -> ``(C, N, d)``.
        Runs per chain on its own padded batch, so that no chain's sequences are padded to
        another chain's length."""
        C, N, three_d = qkv.shape
        d = three_d // 3
        hd = d // n_head
        rows = qkv.reshape(C * N, three_d).index_select(0, self.unpack)
        outs, start = [], 0
        for b, width in self.shapes:
            part = rows[start:start + b * width].view(b, width, 3, n_head, hd)
            q, k, v = part.permute(2, 0, 3, 1, 4).unbind(0)
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            outs.append(out.transpose(1, 2).reshape(b * width, d))
            start += b * width
        outs.append(qkv.new_zeros((1, d)))
        return torch.cat(outs).index_select(0, self.pack).view(C, N, d)

    def per_chain_sums(self, values: torch.Tensor) -> np.ndarray:
        """Sum of ``values`` ``(C, N)`` over each chain's tokens that have a target, in float64."""
        arr = values.detach().to("cpu", torch.float64).numpy()
        return np.array([float(arr[c][self.real[c]].sum()) for c in range(self.count)])


# --- training ----------------------------------------------------------------------------

class _AdamW:
    """AdamW on stacked tensors, step for step as ``torch.optim.AdamW`` (single tensor):
    elementwise, so each chain's slice is updated exactly as it would be alone."""

    def __init__(self, params: list[torch.Tensor], lr: float, betas: tuple[float, float], eps: float,
                 weight_decay: float) -> None:
        self.params, self.lr, self.betas, self.eps, self.wd = params, lr, betas, eps, weight_decay
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]
        self.t = 0

    @torch.no_grad()
    def step(self, factor: float) -> None:
        self.t += 1
        b1, b2 = self.betas
        lr = self.lr * factor
        c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad
            if self.wd:
                p.mul_(1 - lr * self.wd)
            m.lerp_(g, 1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = (v.sqrt() / math.sqrt(c2)).add_(self.eps)
            p.addcdiv_(m, denom, value=-lr / c1)


def _clip(params: list[torch.Tensor], clip: float) -> None:
    """Clip each chain's gradient to norm ``clip`` (its own norm over all its parameters,
    summed in float64 from per-row sums of squares)."""
    C = params[0].shape[0]
    parts = [p.grad.detach().reshape(C, p.shape[1] if p.dim() > 2 else 1, -1).float().pow(2).sum(-1)
             for p in params]
    sq = torch.cat(parts, dim=1).to("cpu", torch.float64).numpy()
    norms = np.sqrt(np.array([math.fsum(row) for row in sq]))
    coef = np.minimum(1.0, clip / (norms + 1e-6))
    if np.all(coef == 1.0):
        return
    scale = torch.as_tensor(coef, dtype=torch.float32, device=params[0].device)
    for p in params:
        p.grad.mul_(scale.view(C, *([1] * (p.dim() - 1))))


def train_chains(stack: Stack, data: Sequence[Sequence[Sequence[int]]], rngs: Sequence[np.random.Generator], *,
                 epochs: float = 1.0, steps: int = 0, batch_size: int = 32, lr: float = 1e-3, warmup: int = 10,
                 weight_decay: float = 0.0, clip: float = 1.0, schedule: str = "constant", pad_id: int = 0,
                 amp: str = "float32", progress: bool = False, desc: str = "train") -> list[FitStats]:
    """Train the chains of ``stack`` in place, chain c on the token sequences ``data[c]``
    with batches drawn from ``rngs[c]``: the recipe of
    :func:`~collapse_lib.settings.lm.model.train_steps` (AdamW, warm-up, constant or cosine
    rate, clipping per chain), one optimiser step for all chains at once. Every chain must
    take the same number of steps (``steps``, or ``epochs`` passes over sets of one size in
    steps). Returns each chain's :class:`~collapse_lib.settings.lm.model.FitStats` (seconds:
    the whole batch's time divided among the chains)."""
    from tqdm import tqdm

    C = stack.count
    if len(data) != C or len(rngs) != C:
        raise ValueError(f"{C} chains need {C} training sets and {C} generators")
    lengths = [[len(s) for s in seqs] for seqs in data]
    totals = {steps if steps > 0 else max(1, math.ceil(epochs * math.ceil(len(s) / batch_size))) for s in data}
    if len(totals) != 1:
        raise ValueError(f"the chains of one batch must take the same number of steps; got {sorted(totals)}")
    total = totals.pop()
    params = stack.parameters()
    for p in params:
        p.requires_grad_(True)
    opt = _AdamW(params, lr=lr, betas=(0.9, 0.98), eps=1e-8, weight_decay=weight_decay)

    def factor(step: int) -> float:
        return lr_factor(step, warmup=warmup, total=total, schedule=schedule)

    queues: list[list[np.ndarray]] = [[] for _ in range(C)]
    tokens = np.zeros(C, dtype=np.int64)
    tail_loss, tail_tokens = np.zeros(C), np.zeros(C)
    tail_from = total - max(1, total // 10)
    started = time.perf_counter()
    device = stack.device
    for step in tqdm(range(total), desc=desc, disable=not progress, leave=False, mininterval=5.0):
        chosen = []
        for c in range(C):
            if not queues[c]:
                queues[c] = length_batches(lengths[c], batch_size, rngs[c])
            chosen.append([data[c][i] for i in queues[c].pop()])
        batch = ChainBatch(chosen, device, pad_id)
        n_tok = np.array([sum(len(s) - 1 for s in seqs) for seqs in chosen])
        weight = torch.as_tensor(batch.real / n_tok[:, None], dtype=torch.float32, device=device)
        for p in params:
            p.grad = None
        losses = stack.token_losses(batch, amp)
        (losses * weight).sum().backward()
        if clip > 0:
            _clip(params, clip)
        opt.step(factor(step))
        tokens += n_tok
        if step >= tail_from:
            tail_loss += batch.per_chain_sums(losses)
            tail_tokens += n_tok
    for p in params:
        p.requires_grad_(False)
        p.grad = None
    seconds = (time.perf_counter() - started) / C
    return [FitStats(steps=total, tokens_seen=int(tokens[c]), seconds=seconds,
                     train_loss=float(tail_loss[c] / max(1, tail_tokens[c]))) for c in range(C)]


def train_model(model: Any, seqs: Sequence[Sequence[int]], *, rng: np.random.Generator, **recipe: Any) -> FitStats:
    """Train the GPT-2 ``model`` in place as a one-chain stack (:func:`train_chains`, the
    arguments of :func:`~collapse_lib.settings.lm.model.train_steps` but ``micro_batch``):
    how the setting pre-trains its base."""
    stack = Stack.of(model, 1)
    (stats,) = train_chains(stack, [seqs], [rng], **recipe)
    stack.chain(0, model)
    return stats


# --- scoring -----------------------------------------------------------------------------

@torch.inference_mode()
def score_chains(stack: Stack, seqs: Sequence[Sequence[int]], *, batch_size: int = 64, pad_id: int = 0,
                 amp: str = "float32") -> np.ndarray:
    """Mean cross-entropy in nats per token of every chain over the same ``seqs`` (every
    token after BOS, EOS included): one value per chain, summed per chain in float64."""
    order = np.argsort([len(s) for s in seqs], kind="stable")
    total = np.zeros(stack.count)
    count = 0
    for start in range(0, len(order), batch_size):
        part = [seqs[i] for i in order[start:start + batch_size]]
        batch = ChainBatch([part] * stack.count, stack.device, pad_id)
        total += batch.per_chain_sums(stack.token_losses(batch, amp))
        count += sum(len(s) - 1 for s in part)
    return total / count


# --- sampling ----------------------------------------------------------------------------

class _Decoder:
    """Token-by-token decoding of the chains of a stack, each with its own rows, with a
    preallocated key-value cache per chain: the arithmetic of
    :class:`~collapse_lib.settings.lm.model.GPT2Decoder`, its position-wise products batched
    over chains. Every row of every chain is at the same position; chain c has ``rows[c]``
    rows (its own cache, so that dropping a chain's finished rows copies only its cache)."""

    def __init__(self, stack: Stack, rows: Sequence[int], length: int) -> None:
        self.s = stack
        self.C = stack.count
        self.rows = list(rows)
        self.hd = stack.d // stack.n_head
        dev = stack.device
        # every position is written before it is read: no need to clear the cache
        self.keys = [[torch.empty((r, stack.n_head, length, self.hd), device=dev) for r in rows]
                     for _ in range(stack.config.n_layer)]
        self.values = [[torch.empty((r, stack.n_head, length, self.hd), device=dev) for r in rows]
                       for _ in range(stack.config.n_layer)]
        self.offset = torch.arange(self.C, device=dev)[:, None]
        self.pos = 0

    def step(self, ids: torch.Tensor) -> torch.Tensor:
        """Logits ``(C, W, V)`` of the next token after ``ids`` ``(C, W)`` at the current
        position (W the most rows of any chain; chain c's rows beyond its own are ignored)."""
        s, st = self.pos, self.s
        C, W, d, H, hd = self.C, ids.shape[1], st.d, st.n_head, self.hd
        wte = st.params["transformer.wte.weight"]
        wpe = st.params["transformer.wpe.weight"]
        x = F.embedding(ids + self.offset * st.vocab, wte.reshape(-1, d)) + wpe[:, s][:, None, :]
        for (g1, b1, wa, ba, wp, bp, g2, b2, wf, bf, wo, bo), kcs, vcs in zip(st.blocks(), self.keys, self.values):
            h = st._norm(x, g1, b1)
            qkv = torch.baddbmm(ba[:, None, :], h, wa)
            att = qkv.new_zeros((C, W, d))
            for c, r in enumerate(self.rows):
                if r == 0:
                    continue
                q, k, v = qkv[c, :r].split(d, dim=1)
                kc, vc = kcs[c], vcs[c]
                kc[:, :, s] = k.view(r, H, hd)
                vc[:, :, s] = v.view(r, H, hd)
                # one query per row: two batched products read the cache once each
                scores = torch.matmul(q.view(r, H, 1, hd), kc[:, :, :s + 1].transpose(-1, -2))
                att[c, :r] = torch.matmul(torch.softmax(scores * hd ** -0.5, dim=-1), vc[:, :, :s + 1]).view(r, d)
            x = x + torch.baddbmm(bp[:, None, :], att, wp)
            h = st._norm(x, g2, b2)
            x = x + torch.baddbmm(bo[:, None, :], F.gelu(torch.baddbmm(bf[:, None, :], h, wf), approximate="tanh"), wo)
        self.pos += 1
        return torch.bmm(st._norm(x, st.params["transformer.ln_f.weight"], st.params["transformer.ln_f.bias"]),
                         wte.transpose(1, 2))

    def select(self, c: int, keep: np.ndarray) -> None:
        """Keep only the rows ``keep`` of chain ``c`` (their cache up to the current position)."""
        s = self.pos
        index = torch.as_tensor(keep, device=self.s.device)
        for cache in (self.keys, self.values):
            for layer in cache:
                old = layer[c]
                new = torch.empty((len(keep), *old.shape[1:]), dtype=old.dtype, device=old.device)
                new[:, :, :s] = old[index, :, :s]
                layer[c] = new
        self.rows[c] = len(keep)


@torch.inference_mode()
def sample_tokens_chains(stack: Stack, counts: Sequence[int], *, bos: int, eos: int, max_new_tokens: int,
                         generators: Sequence[torch.Generator], temperature: float = 1.0,
                         amp: str = "float32") -> list[tuple[list[list[int] | None], int]]:
    """For each chain c, ``counts[c]`` documents drawn from BOS alone: what
    :func:`~collapse_lib.settings.lm.model.sample_tokens` returns for one chain, with the
    same policy (rows that wrote EOS leave a chain's batch once a quarter of it has
    finished), every chain drawing its uniforms from its own generator. Chains whose rows
    have all finished leave the batch."""
    device = stack.device
    C = stack.count
    docs: list[list[list[int] | None]] = [[None] * n for n in counts]
    rows = [np.arange(n) for n in counts]  # the document each of a chain's rows writes
    open_ = [np.ones(n, dtype=bool) for n in counts]
    written = [np.zeros((n, max_new_tokens), dtype=np.int64) for n in counts]
    n_tokens = [0] * C
    live = [c for c in range(C) if counts[c] > 0]
    sub = stack.subset(live) if len(live) < C else stack
    decoder = _Decoder(sub, [counts[c] for c in live], max_new_tokens)
    ids = torch.full((len(live), _aligned(max([counts[c] for c in live], default=1))), bos, dtype=torch.long,
                     device=device)
    with autocast(device, amp):
        for step in range(max_new_tokens):
            if not live:
                break
            logits = decoder.step(ids).float()
            if temperature != 1.0:
                logits = logits / temperature
            nexts, finished = [], []
            for j, c in enumerate(live):
                nxt = draw_categorical(logits[j, :len(rows[c])], generators[c])
                tok = nxt.cpu().numpy()
                n_tokens[c] += int(open_[c].sum())
                written[c][rows[c][open_[c]], step] = tok[open_[c]]
                done = open_[c] & (tok == eos)
                for i in rows[c][done]:
                    docs[c][i] = written[c][i, :step].tolist()
                open_[c] &= ~done
                if not open_[c].any():
                    finished.append(j)
                elif done.any() and open_[c].sum() <= 0.75 * len(rows[c]):
                    keep = np.flatnonzero(open_[c])
                    decoder.select(j, keep)
                    rows[c], open_[c] = rows[c][keep], open_[c][keep]
                    nxt = nxt.index_select(0, torch.as_tensor(keep, device=device))
                nexts.append(nxt)
            if finished:
                stay = [j for j in range(len(live)) if j not in finished]
                live = [live[j] for j in stay]
                if not live:
                    break
                sub = sub.subset(stay)
                keys, values = decoder.keys, decoder.values
                decoder.s, decoder.C = sub, len(stay)
                decoder.keys = [[layer[j] for j in stay] for layer in keys]
                decoder.values = [[layer[j] for j in stay] for layer in values]
                decoder.rows = [decoder.rows[j] for j in stay]
                decoder.offset = decoder.offset[:len(stay)]
                nexts = [nexts[j] for j in stay]
            width = _aligned(max(len(n) for n in nexts))
            ids = torch.stack([F.pad(n, (0, width - len(n))) for n in nexts])
    return [(docs[c], n_tokens[c]) for c in range(C)]


def sample_chains(stack: Stack, tokenizer: Any, counts: Sequence[int], *, rngs: Sequence[np.random.Generator],
                  batch_size: int = 250, max_new_tokens: int = 127, temperature: float = 1.0,
                  max_factor: float = 10.0, keep: Callable[[str], bool] | None = None, amp: str = "float32",
                  progress: bool = False) -> list[SampleStats]:
    """For each chain c, sample documents from BOS alone until ``counts[c]`` well-formed ones
    are kept: :func:`~collapse_lib.settings.lm.model.sample_examples` for every chain at once
    (its top-up rounds, its acceptance rule and its error after ``max_factor`` times the
    count), each chain's draws from a ``torch.Generator`` seeded from ``rngs[c]``."""
    from .data import parse_example
    from .model import _decode_documents, _special_ids

    C = stack.count
    bos, eos, _ = _special_ids(tokenizer)
    keep = keep or (lambda text: parse_example(text) is not None)
    gens = []
    for rng in rngs:
        g = torch.Generator(device=stack.device)
        g.manual_seed(int(rng.integers(2**62)))
        gens.append(g)
    kept: list[list[str]] = [[] for _ in range(C)]
    generated, well, tokens = [0] * C, [0] * C, [0] * C
    started = time.perf_counter()
    while True:
        sizes = []
        for c in range(C):
            n = counts[c]
            if len(kept[c]) >= n:
                sizes.append(0)
                continue
            if generated[c] >= max_factor * n:
                raise RuntimeError(f"only {len(kept[c])} of {n} samples were well-formed after {generated[c]} "
                                   f"draws (acceptance {well[c] / generated[c]:.1%}); the model does not "
                                   "write the example format: train longer (parameter 'steps' or 'epochs') "
                                   "or raise parameter 'max_sample_factor'")
            rate = well[c] / generated[c] if generated[c] else 1.0
            need = n - len(kept[c])
            sizes.append(min(batch_size, max(8, math.ceil(1.1 * need / max(rate, 0.05)))))
        active = [c for c in range(C) if sizes[c] > 0]
        if not active:
            break
        sub = stack if len(active) == C else stack.subset(active)
        out = sample_tokens_chains(sub, [sizes[c] for c in active], bos=bos, eos=eos,
                                   max_new_tokens=max_new_tokens, generators=[gens[c] for c in active],
                                   temperature=temperature, amp=amp)
        for c, (docs, n_tok) in zip(active, out):
            good = [t for t in _decode_documents(tokenizer, docs) if t is not None and keep(t)]
            generated[c] += sizes[c]
            well[c] += len(good)
            tokens[c] += n_tok
            kept[c].extend(good[:counts[c] - len(kept[c])])
    seconds = (time.perf_counter() - started) / max(1, C)
    return [SampleStats(kept=kept[c], generated=generated[c], well_formed=well[c], tokens=tokens[c],
                        seconds=seconds) for c in range(C)]
