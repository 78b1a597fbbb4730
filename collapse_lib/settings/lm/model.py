"""Tokenizer, base model, fine-tuning, sampling and evaluation (chapter *Language models*).

The CPU default builds everything here, offline:

1. :func:`train_tokenizer` -- a byte-level BPE tokenizer (``tokenizers``) trained on texts
   disjoint from the fine-tuning and test data (the fortunes plus a reserved set of verses);
2. :func:`pretrain_base` -- a small GPT-2 (:func:`base_config`) pre-trained once on the
   fortunes and cached on disk under a hash of everything that determines it, written
   atomically, so every generation, seed and chapter run starts from the same base;
3. :func:`fine_tune` -- each generation copies that base (never the previous checkpoint) and
   trains it with AdamW, linear warm-up then a constant learning rate, and gradient
   clipping, for a number of epochs or a fixed number of steps;
4. :func:`sample_examples` -- batched ancestral sampling with the KV cache at temperature 1
   from the beginning-of-sequence token alone, from the full softmax (``generate`` in
   transformers 5 would quietly apply ``top_k=50`` unless told ``top_k=0, top_p=1.0``),
   topped up until ``n`` well-formed examples are kept; a GPT-2 decodes on
   :class:`GPT2Decoder` (a preallocated cache, no per-step framework overhead) and every
   draw inverts the cumulative distribution (:func:`draw_categorical`);
5. :func:`mean_loss` -- cross-entropy in nats per token on real held-out examples.

The hub path (:func:`load_pretrained`) loads any causal LM and its tokenizer by name or
folder through ``AutoModelForCausalLM`` / ``AutoTokenizer``; the same functions then
fine-tune, sample and evaluate it on any device and dtype.

Randomness: every function that draws takes a ``numpy.random.Generator`` and seeds torch
from it inside :func:`torch_seeded`, which restores torch's global generator afterwards.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from .data import parse_example

__all__ = [
    "default_cache_dir",
    "SPECIAL_TOKENS",
    "FitStats",
    "SampleStats",
    "train_tokenizer",
    "base_config",
    "count_parameters",
    "encode",
    "length_batches",
    "train_steps",
    "fine_tune",
    "mean_loss",
    "sample_examples",
    "sample_tokens",
    "GPT2Decoder",
    "draw_categorical",
    "pretrain_base",
    "load_pretrained",
    "torch_seeded",
    "torch_threads",
    "resolve_device",
    "resolve_dtype",
    "autocast",
]

def default_cache_dir() -> Path:
    """Where pre-trained bases are cached: ``lm-bases/`` in the result store's folder (``_cache/`` at
    the repository root, or ``$COLLAPSE_STORE``)."""
    from ...files import default_location

    return default_location() / "lm-bases"

SPECIAL_TOKENS = {"bos_token": "<|bos|>", "eos_token": "<|eos|>", "pad_token": "<|pad|>"}

#: The modules whose source determines a pre-trained base (its cache key includes their hash).
BASE_SOURCES = ("collapse_lib.settings.lm.model", "collapse_lib.settings.lm.data", "collapse_lib.settings.lm.chains")


# --- small helpers --------------------------------------------------------------------------

@contextlib.contextmanager
def torch_seeded(rng: np.random.Generator, device: torch.device | str = "cpu") -> Iterator[None]:
    """Seed torch from ``rng`` for the block; restore torch's global state afterwards."""
    device = torch.device(device)
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices, device_type=device.type if device.type != "cpu" else "cuda"):
        torch.manual_seed(int(rng.integers(2**62)))
        yield


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` intra-op threads (``0``: leave torch's default)."""
    old = torch.get_num_threads()
    if n > 0:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Lower transformers' log level to errors for the block (restored afterwards)."""
    from transformers.utils import logging as hf_logging

    old = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(old)
        if bars:
            hf_logging.enable_progress_bar()


def resolve_device(device: str) -> torch.device:
    """``"auto"`` -> cuda if available, else mps, else cpu; anything else as given."""
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    return torch.device(device)


def resolve_dtype(dtype: str) -> torch.dtype:
    """``"float32"``, ``"bfloat16"`` or ``"float16"`` as a torch dtype."""
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]


def autocast(device: torch.device | str, amp: str = "float32"):
    """Mixed precision for the block: ``amp`` ``"bfloat16"``/``"float16"`` runs the forward
    passes in that dtype while the weights (and AdamW's state) stay float32; ``"float32"``
    changes nothing."""
    if amp == "float32":
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=resolve_dtype(amp))


def count_parameters(model: torch.nn.Module) -> int:
    """Number of distinct parameters (tied embeddings counted once)."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


# --- tokenizer and model --------------------------------------------------------------------

def train_tokenizer(texts: Sequence[str], vocab_size: int = 2048):
    """A byte-level BPE tokenizer trained on ``texts`` (deterministic), as a transformers
    ``PreTrainedTokenizerFast`` with ``<|bos|>``, ``<|eos|>`` and ``<|pad|>``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, show_progress=False,
                                  special_tokens=list(SPECIAL_TOKENS.values()),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(list(texts), trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, **SPECIAL_TOKENS)


def base_config(vocab_size: int, *, d_model: int = 128, n_layer: int = 4, n_head: int = 4,
                max_len: int = 128, bos_token_id: int = 0, eos_token_id: int = 1,
                pad_token_id: int = 2):
    """The CPU default's model: a GPT-2 with ``n_layer`` blocks of width ``d_model``, no dropout.

    At width 128 (vocabulary 2048) it has about 1.07 million parameters; at the setting's
    default width of 64, about 335,000. The activation is
    GPT-2's tanh approximation of GELU as one fused kernel (``gelu_pytorch_tanh``), the same
    function as GPT-2's ``gelu_new`` computed without its five elementwise passes.
    """
    from transformers import GPT2Config

    return GPT2Config(vocab_size=vocab_size, n_positions=max_len, n_embd=d_model, n_layer=n_layer,
                      n_head=n_head, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                      activation_function="gelu_pytorch_tanh",
                      bos_token_id=bos_token_id, eos_token_id=eos_token_id, pad_token_id=pad_token_id,
                      tie_word_embeddings=True)


def _special_ids(tokenizer) -> tuple[int, int, int]:
    bos = tokenizer.bos_token_id
    eos = tokenizer.eos_token_id
    if bos is None:
        bos = eos
    if eos is None:
        raise ValueError("the tokenizer has no end-of-sequence token")
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    return int(bos), int(eos), int(pad)


def encode(tokenizer, texts: Sequence[str]) -> list[list[int]]:
    """Token ids of each text as a document: ``[BOS] + tokens + [EOS]``."""
    if not texts:
        return []
    bos, eos, _ = _special_ids(tokenizer)
    ids = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
    return [[bos, *row, eos] for row in ids]


# --- training -------------------------------------------------------------------------------

def length_batches(lengths: Sequence[int], batch_size: int, rng: np.random.Generator,
                   bucket: int = 16) -> list[np.ndarray]:
    """One epoch of batches: shuffle, sort within chunks of ``bucket`` batches by length
    (little padding), then shuffle the batch order. Every index appears exactly once."""
    order = rng.permutation(len(lengths))
    lengths = np.asarray(lengths)
    batches: list[np.ndarray] = []
    chunk = batch_size * bucket
    for start in range(0, len(order), chunk):
        part = order[start:start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i:i + batch_size] for i in range(0, len(part), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def _collate(seqs: Sequence[Sequence[int]], pad_id: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.as_tensor(s, dtype=torch.long)
        mask[i, :len(s)] = 1
    return ids.to(device), mask.to(device)


def _token_loss_sum(model, ids: torch.Tensor, mask: torch.Tensor,
                    amp: str = "float32") -> tuple[torch.Tensor, int]:
    """Sum of next-token cross-entropies (nats) over the real tokens after BOS, and their count."""
    with autocast(ids.device, amp):
        logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1]
    targets = ids[:, 1:].masked_fill(mask[:, 1:] == 0, -100)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1),
                           ignore_index=-100, reduction="sum")
    return loss, int((targets != -100).sum())


@dataclass
class FitStats:
    """What one fine-tuning run did: steps, target tokens seen, seconds, mean training loss
    over its last tenth of steps."""

    steps: int
    tokens_seen: int
    seconds: float
    train_loss: float


def lr_factor(step: int, *, warmup: int, total: int, schedule: str) -> float:
    """The learning rate's multiplier at ``step`` (0-based) of ``total``: a linear warm-up over
    ``warmup`` steps, then constant or a cosine decay to 0.1 (``schedule``). One schedule for
    :func:`train_steps` and the batched chains (:mod:`.chains`)."""
    if step < warmup:
        return (step + 1) / (warmup + 1)
    if schedule == "cosine":
        frac = (step - warmup) / max(1, total - warmup)
        return 0.1 + 0.45 * (1 + math.cos(math.pi * min(1.0, frac)))
    return 1.0


def train_steps(model, seqs: Sequence[Sequence[int]], *, rng: np.random.Generator,
                epochs: float = 1.0, steps: int = 0, batch_size: int = 32, micro_batch: int = 0,
                lr: float = 1e-3, warmup: int = 10, weight_decay: float = 0.0, clip: float = 1.0,
                schedule: str = "constant", pad_id: int = 0,
                device: torch.device | str = "cpu", amp: str = "float32", progress: bool = False,
                desc: str = "train") -> FitStats:
    """Train ``model`` in place on the token sequences ``seqs``.

    AdamW; the learning rate rises linearly over ``warmup`` steps, then stays at ``lr``
    (``schedule="constant"``, fine-tuning) or decays on a cosine to ``lr / 10``
    (``"cosine"``, pre-training); gradients are clipped to norm ``clip``. Runs ``steps``
    optimiser steps if ``steps > 0``, else ``epochs`` passes over the data (rounded up to
    whole batches). ``micro_batch`` > 0 splits each batch (gradient accumulation); the loss
    is the mean over the batch's tokens either way. ``amp``: see :func:`autocast`.
    """
    from tqdm import tqdm

    device = torch.device(device)
    lengths = [len(s) for s in seqs]
    per_epoch = math.ceil(len(seqs) / batch_size)
    total = steps if steps > 0 else max(1, math.ceil(epochs * per_epoch))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, betas=(0.9, 0.98), eps=1e-8)

    def factor(step: int) -> float:
        return lr_factor(step, warmup=warmup, total=total, schedule=schedule)

    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    model.train()
    batches: list[np.ndarray] = []
    tokens, tail_loss, tail_tokens = 0, 0.0, 0
    started = time.perf_counter()
    tail_from = total - max(1, total // 10)
    for step in tqdm(range(total), desc=desc, disable=not progress, leave=False, mininterval=5.0):
        if not batches:
            batches = length_batches(lengths, batch_size, rng)
        batch = batches.pop()
        chunks = [batch] if micro_batch <= 0 else [batch[i:i + micro_batch]
                                                    for i in range(0, len(batch), micro_batch)]
        n_tok = sum(lengths[i] - 1 for i in batch)
        opt.zero_grad(set_to_none=True)
        step_loss = 0.0
        for chunk in chunks:
            ids, mask = _collate([seqs[i] for i in chunk], pad_id, device)
            loss_sum, _ = _token_loss_sum(model, ids, mask, amp)
            (loss_sum / n_tok).backward()
            step_loss += float(loss_sum.detach())
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(params, clip)
        opt.step()
        sched.step()
        tokens += n_tok
        if step >= tail_from:
            tail_loss += step_loss
            tail_tokens += n_tok
    model.eval()
    return FitStats(steps=total, tokens_seen=tokens, seconds=time.perf_counter() - started,
                    train_loss=tail_loss / max(1, tail_tokens))


def fine_tune(base, seqs: Sequence[Sequence[int]], *, rng: np.random.Generator, pad_id: int,
              device: torch.device | str = "cpu", **recipe: Any):
    """A fine-tuned copy of ``base`` (the base itself is untouched) and its :class:`FitStats`.

    Each generation calls this with the same ``base``: generation t is never trained on top
    of generation t - 1's weights. ``recipe``: the keyword arguments of :func:`train_steps`.
    """
    model = copy.deepcopy(base)
    with torch_seeded(rng, device):
        stats = train_steps(model, seqs, rng=rng, pad_id=pad_id, device=device, **recipe)
    return model, stats


@torch.inference_mode()
def mean_loss(model, seqs: Sequence[Sequence[int]], *, batch_size: int = 64, pad_id: int = 0,
              device: torch.device | str = "cpu", amp: str = "float32") -> float:
    """Mean cross-entropy in nats per token over ``seqs`` (every token after BOS, EOS included)."""
    device = torch.device(device)
    model.eval()
    order = np.argsort([len(s) for s in seqs], kind="stable")
    total, count = 0.0, 0
    for start in range(0, len(order), batch_size):
        ids, mask = _collate([seqs[i] for i in order[start:start + batch_size]], pad_id, device)
        loss_sum, n = _token_loss_sum(model, ids, mask, amp)
        total += float(loss_sum)
        count += n
    return total / count


# --- sampling -------------------------------------------------------------------------------

@dataclass
class SampleStats:
    """One top-up sampling run: kept examples, documents generated and well-formed among
    them, tokens generated, seconds."""

    kept: list[str]
    generated: int
    well_formed: int
    tokens: int
    seconds: float

    @property
    def acceptance_rate(self) -> float:
        return self.well_formed / self.generated if self.generated else float("nan")


def draw_categorical(logits: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One draw per row from ``softmax(logits)``, by inverting the cumulative distribution:
    one uniform per row (``torch.multinomial`` draws one random number per vocabulary
    entry, and costs more than the model's forward pass at this size). Exact up to
    float64 rounding of the cumulative sums; a zero-probability token is never drawn."""
    cdf = torch.cumsum(torch.softmax(logits.float(), dim=-1), dim=-1, dtype=torch.float64)
    u = torch.rand((cdf.shape[0], 1), generator=generator, dtype=torch.float64, device=cdf.device) * cdf[:, -1:]
    return torch.searchsorted(cdf, u, right=True)[:, 0].clamp_(max=cdf.shape[1] - 1)


class GPT2Decoder:
    """Token-by-token decoding of a GPT-2 with a preallocated key-value cache.

    The same arithmetic as ``GPT2LMHeadModel``'s forward pass with ``use_cache=True``, written
    out for the one case sampling needs (every row at the same position, one new token per
    row and step), without the per-call overhead of the general model: at a million
    parameters that overhead, not the arithmetic, bounds sampling. Rows can be dropped
    (:meth:`select`). :func:`supports` says whether a model is a plain GPT-2 it can run.
    """

    def __init__(self, model, count: int, length: int, device: torch.device) -> None:
        tr = model.transformer
        cfg = model.config
        self.n_head = cfg.n_head
        self.hd = cfg.n_embd // cfg.n_head
        self.eps = cfg.layer_norm_epsilon
        self.wte, self.wpe = tr.wte.weight, tr.wpe.weight
        self.head = model.lm_head.weight
        self.ln_f = (tr.ln_f.weight, tr.ln_f.bias)
        self.blocks = [(b.ln_1.weight, b.ln_1.bias, b.attn.c_attn.weight, b.attn.c_attn.bias,
                        b.attn.c_proj.weight, b.attn.c_proj.bias, b.ln_2.weight, b.ln_2.bias,
                        b.mlp.c_fc.weight, b.mlp.c_fc.bias, b.mlp.c_proj.weight, b.mlp.c_proj.bias)
                       for b in tr.h]
        dtype = self.wte.dtype
        shape = (count, cfg.n_head, length, self.hd)
        self.keys = [torch.empty(shape, dtype=dtype, device=device) for _ in self.blocks]
        self.values = [torch.empty(shape, dtype=dtype, device=device) for _ in self.blocks]
        self.pos = 0

    @staticmethod
    def supports(model) -> bool:
        """A ``GPT2LMHeadModel`` with the options this decoder implements (GELU-tanh, plain
        attention scaling)."""
        from transformers import GPT2LMHeadModel

        cfg = getattr(model, "config", None)
        return (type(model) is GPT2LMHeadModel and cfg.activation_function in ("gelu_new", "gelu_pytorch_tanh")
                and cfg.scale_attn_weights and not cfg.scale_attn_by_inverse_layer_idx
                and not cfg.reorder_and_upcast_attn)

    def step(self, ids: torch.Tensor) -> torch.Tensor:
        """Logits of the next token after feeding ``ids`` (one token per row) at the current position."""
        s = self.pos
        b, d = ids.shape[0], self.wte.shape[1]
        x = self.wte[ids] + self.wpe[s]
        for (g1, b1, wa, ba, wp, bp, g2, b2, wf, bf, wo, bo), kc, vc in zip(self.blocks, self.keys, self.values):
            h = F.layer_norm(x, (d,), g1, b1, self.eps)
            q, k, v = torch.addmm(ba, h, wa).split(d, dim=1)
            kc[:, :, s] = k.view(b, self.n_head, self.hd)
            vc[:, :, s] = v.view(b, self.n_head, self.hd)
            # one query per row: two batched products read the cache once each (faster on a CPU
            # than the fused kernel, which is built for long queries)
            scores = torch.matmul(q.view(b, self.n_head, 1, self.hd), kc[:, :, :s + 1].transpose(-1, -2))
            att = torch.matmul(torch.softmax(scores * self.hd ** -0.5, dim=-1), vc[:, :, :s + 1])
            x = x + torch.addmm(bp, att.reshape(b, d), wp)
            h = F.layer_norm(x, (d,), g2, b2, self.eps)
            x = x + torch.addmm(bo, F.gelu(torch.addmm(bf, h, wf), approximate="tanh"), wo)
        self.pos += 1
        return F.layer_norm(x, (d,), *self.ln_f, self.eps) @ self.head.T

    def select(self, keep: torch.Tensor) -> None:
        """Keep only the rows ``keep`` (their cache up to the current position)."""
        s = self.pos
        self.keys = [self._shrink(c, keep, s) for c in self.keys]
        self.values = [self._shrink(c, keep, s) for c in self.values]

    @staticmethod
    def _shrink(cache: torch.Tensor, keep: torch.Tensor, s: int) -> torch.Tensor:
        out = torch.empty((len(keep), *cache.shape[1:]), dtype=cache.dtype, device=cache.device)
        out[:, :, :s] = cache[keep, :, :s]
        return out


@torch.inference_mode()
def sample_tokens(model, count: int, *, bos: int, eos: int, max_new_tokens: int,
                  generator: torch.Generator, temperature: float = 1.0,
                  device: torch.device | str = "cpu",
                  amp: str = "float32", fast: bool | None = None) -> tuple[list[list[int] | None], int]:
    """``count`` documents drawn from the model, each from BOS alone, as token lists.

    Ancestral sampling at ``temperature`` from the full softmax (no top-k, no top-p), one
    batched forward pass per position with the key-value cache. All rows start together, so they
    need no padding; rows that have written EOS leave the batch (their cache rows are
    dropped once a quarter of the batch has finished), so the batch costs about what its
    documents cost, not ``count`` times the longest one. A plain GPT-2 runs on
    :class:`GPT2Decoder` (``fast``: ``None`` = whenever it can), any other model through its
    own forward pass and ``past_key_values``. Returns the documents (``None`` where no EOS
    came within ``max_new_tokens``) without BOS and EOS, and the number of tokens generated
    for documents still open.
    """
    device = torch.device(device)
    fast = GPT2Decoder.supports(model) if fast is None else fast
    docs: list[list[int] | None] = [None] * count
    rows = np.arange(count)  # the document each batch row writes
    open_ = np.ones(count, dtype=bool)  # per batch row: still writing
    written = np.zeros((count, max_new_tokens), dtype=np.int64)
    ids = torch.full((count,), bos, dtype=torch.long, device=device)
    decoder = GPT2Decoder(model, count, max_new_tokens, device) if fast else None
    cache = None
    n_tokens = 0
    with _quiet_transformers(), autocast(device, amp):
        for step in range(max_new_tokens):
            if decoder is not None:
                logits = decoder.step(ids).float()
            else:
                res = model(input_ids=ids[:, None], past_key_values=cache, use_cache=True)
                cache = res.past_key_values
                logits = res.logits[:, -1].float()
            if temperature != 1.0:
                logits = logits / temperature
            nxt = draw_categorical(logits, generator)
            tok = nxt.cpu().numpy()
            n_tokens += int(open_.sum())
            written[rows[open_], step] = tok[open_]
            done = open_ & (tok == eos)
            for r in rows[done]:
                docs[r] = written[r, :step].tolist()
            open_ &= ~done
            if not open_.any():
                break
            if done.any() and (decoder is None or open_.sum() <= 0.75 * len(rows)):
                keep = np.flatnonzero(open_)
                index = torch.as_tensor(keep, device=device)
                if decoder is not None:
                    decoder.select(index)
                else:
                    cache.batch_select_indices(index)
                rows, open_, nxt = rows[keep], open_[keep], nxt[index]
            ids = nxt
    return docs, n_tokens


def _decode_documents(tokenizer, docs: Sequence[list[int] | None]) -> list[str | None]:
    """Text of each document; ``None`` for a missing one or one holding a special token."""
    special = set(tokenizer.all_special_ids)
    return [None if d is None or any(t in special for t in d)
            else tokenizer.decode(d, skip_special_tokens=False, clean_up_tokenization_spaces=False)
            for d in docs]


def sample_examples(model, tokenizer, n: int, *, rng: np.random.Generator, batch_size: int = 250,
                    max_new_tokens: int = 127, temperature: float = 1.0, max_factor: float = 10.0,
                    keep: Callable[[str], bool] | None = None, device: torch.device | str = "cpu",
                    amp: str = "float32", progress: bool = False) -> SampleStats:
    """Sample documents at ``temperature`` from BOS alone until ``n`` well-formed ones are kept.

    A document is kept if it ends with EOS within ``max_new_tokens``, holds no other
    special token, and ``keep(text)`` holds (default: it parses as
    ``user: ...\\nassistant: ...``, :func:`~collapse_lib.settings.lm.data.parse_example`). Batches
    shrink to what the acceptance rate so far says is still needed. Raises ``RuntimeError``
    after ``max_factor * n`` documents without ``n`` kept. The draws come from a
    ``torch.Generator`` seeded from ``rng``: same ``rng`` state, same samples.
    """
    from tqdm import tqdm

    device = torch.device(device)
    bos, eos, _ = _special_ids(tokenizer)
    keep = keep or (lambda text: parse_example(text) is not None)
    generator = torch.Generator(device=device)
    generator.manual_seed(int(rng.integers(2**62)))
    kept: list[str] = []
    generated = well = tokens = 0
    started = time.perf_counter()
    bar = tqdm(total=n, desc="sample", disable=not progress, leave=False, mininterval=1.0)
    while len(kept) < n:
        if generated >= max_factor * n:
            raise RuntimeError(f"only {len(kept)} of {n} samples were well-formed after {generated} "
                               f"draws (acceptance {well / generated:.1%}); the model does not "
                               "write the example format: train longer (parameter 'steps' or 'epochs') "
                               "or raise parameter 'max_sample_factor'")
        rate = well / generated if generated else 1.0
        need = n - len(kept)
        count = min(batch_size, max(8, math.ceil(1.1 * need / max(rate, 0.05))))
        docs, n_tok = sample_tokens(model, count, bos=bos, eos=eos, max_new_tokens=max_new_tokens,
                                    generator=generator, temperature=temperature, device=device,
                                    amp=amp)
        good = [t for t in _decode_documents(tokenizer, docs) if t is not None and keep(t)]
        generated += count
        well += len(good)
        tokens += n_tok
        kept.extend(good[:need])
        bar.update(min(len(good), need))
    bar.close()
    return SampleStats(kept=kept, generated=generated, well_formed=well, tokens=tokens,
                       seconds=time.perf_counter() - started)


# --- bases ----------------------------------------------------------------------------------

def pretrain_base(texts: Sequence[str], tokenizer_texts: Sequence[str], *, key: dict[str, Any],
                  vocab_size: int = 2048, d_model: int = 128, n_layer: int = 4, n_head: int = 4,
                  max_len: int = 128, steps: int = 400, batch_size: int = 32, lr: float = 2e-3,
                  warmup: int = 40, seed: int = 0, threads: int = 0,
                  cache_dir: str | os.PathLike[str] | None = None, progress: bool = False,
                  trainer: Callable[..., FitStats] | None = None):
    """The pre-trained base model and its tokenizer, from the cache or trained now.

    Trains the tokenizer on ``tokenizer_texts``, then the model from a seeded random
    initialisation on the documents of ``texts`` that fit in ``max_len`` tokens, with
    AdamW, warm-up and a cosine decay: :func:`train_steps`, or ``trainer`` with the same
    arguments (the setting passes :func:`collapse_lib.settings.lm.chains.train_model`, the
    engine of every fine-tuning; its source is part of the cache key). The result is saved under ``cache_dir`` (default
    :func:`default_cache_dir`) in a folder named by a hash of every argument, the corpus
    identity in ``key`` and the library versions, written atomically; later calls load it.
    Returns ``(model, tokenizer, meta)``.
    """
    import hashlib

    import transformers
    from transformers import GPT2LMHeadModel, PreTrainedTokenizerFast

    from ...files import atomic_write
    from ...registry import source_digest

    hparams = dict(vocab_size=vocab_size, d_model=d_model, n_layer=n_layer, n_head=n_head,
                   max_len=max_len, steps=steps, batch_size=batch_size, lr=lr, warmup=warmup,
                   seed=seed)
    full_key = {"source": source_digest(list(BASE_SOURCES)), "torch": torch.__version__,
                "transformers": transformers.__version__, **key, **hparams}
    blob = json.dumps(full_key, sort_keys=True, default=str).encode()
    folder = Path(cache_dir or default_cache_dir()) / f"base-{hashlib.sha256(blob).hexdigest()[:16]}"
    if not (folder / "meta.json").exists():
        rng = np.random.default_rng([int(seed), 7])
        with torch_threads(threads):
            tokenizer = train_tokenizer(tokenizer_texts, vocab_size)
            bos, eos, pad = _special_ids(tokenizer)
            config = base_config(len(tokenizer), d_model=d_model, n_layer=n_layer, n_head=n_head,
                                 max_len=max_len, bos_token_id=bos, eos_token_id=eos, pad_token_id=pad)
            seqs = [s for s in encode(tokenizer, texts) if len(s) <= max_len]
            if not seqs:
                raise ValueError(f"no pre-training text fits in max_len={max_len} tokens")
            with torch_seeded(rng):
                model = GPT2LMHeadModel(config)
            stats = (trainer or train_steps)(model, seqs, rng=rng, steps=steps, batch_size=batch_size, lr=lr,
                                             warmup=warmup, schedule="cosine", pad_id=pad, progress=progress,
                                             desc="pre-train base")
        meta = {"key": full_key, "parameters": count_parameters(model), "documents": len(seqs),
                "tokens_seen": stats.tokens_seen, "seconds": stats.seconds,
                "train_loss": stats.train_loss}

        def write(tmp: Path) -> None:
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            (tmp / "meta.json").write_text(json.dumps(meta, indent=1, default=str))

        with _quiet_transformers():
            atomic_write(folder, write, directory=True)
    with _quiet_transformers():
        model = GPT2LMHeadModel.from_pretrained(folder)
        tokenizer = PreTrainedTokenizerFast.from_pretrained(folder)
    model.eval()
    meta = json.loads((folder / "meta.json").read_text())
    meta["path"] = str(folder)
    return model, tokenizer, meta


def load_pretrained(name_or_path: str, *, device: torch.device | str = "cpu",
                    dtype: str = "float32"):
    """A causal LM and its tokenizer by hub name or local folder (``AutoModelForCausalLM`` /
    ``AutoTokenizer``), on ``device``, weights in ``dtype`` (the setting keeps float32
    weights and runs bfloat16 through :func:`autocast`). A hub name needs a network; a
    folder written by ``save_pretrained`` does not. Returns ``(model, tokenizer, meta)``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    with _quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(name_or_path)
        model = AutoModelForCausalLM.from_pretrained(name_or_path, dtype=resolve_dtype(dtype))
    model.to(torch.device(device))
    model.eval()
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    meta = {"path": name_or_path, "parameters": count_parameters(model)}
    return model, tokenizer, meta
