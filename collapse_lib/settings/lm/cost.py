"""How long a language-model run takes (the estimate printed before long runs; see
:func:`collapse_lib.validation.check_duration`).

The book's local GPT-2 on the CPU, from throughputs measured on the 2-core machine the book
is built on (two torch threads; ``benchmarks/bench_cost.py``): seconds per token and model
parameter of fine-tuning, sampling and scoring, about 52 tokens per KJV example. It counts
the generations only: pre-training the base (a few minutes, once, then cached) is not
included. A hub model (its size is unknown before it loads) has no estimate; on a GPU the
estimate is an upper bound. Kept out of the model, so that recalibrating it stales no stored
result.
"""

from __future__ import annotations

import math
import sys
from typing import Any

#: Seconds per (token x parameter): training (forward, backward, AdamW), sampling with a KV
#: cache, scoring.
TRAIN, SAMPLE, SCORE = 1.4e-10, 1.5e-10, 4.5e-11
#: Tokens of an example of the offline corpus (KJV verses: BOS and EOS included).
KJV_TOKENS = 52
#: Sampled tokens per kept example (rejected samples included).
SAMPLE_RATIO = 1.1
#: Speed of one torch thread against two.
ONE_THREAD = 1.7
#: A CUDA GPU against the CPU (a guess on the low side: the estimate is an upper bound).
GPU = 10.0


def _parameters(params: dict[str, Any]) -> float:
    d, layers = params["d_model"], params["n_layer"]
    return 12.0 * layers * d * d + params["vocab_size"] * d


def _on_gpu(device: str) -> bool:
    if device in ("cuda", "mps"):
        return True
    torch = sys.modules.get("torch")  # 'auto': only when torch is loaded already (no import here)
    return bool(device == "auto" and torch is not None and torch.cuda.is_available())


def seconds(workflow: str, n_generations: int, n_seeds: int, params: dict[str, Any]) -> float | None:
    """Seconds ``n_seeds`` chains of ``n_generations`` take in one process (None for a hub
    model)."""
    if params["lm_model"] != "local-gpt2":
        return None
    size = _parameters(params)
    tokens = KJV_TOKENS if params["lm_dataset"] == "kjv" else max(KJV_TOKENS, params["max_len"] or 128)
    n, batch = params["n"], params["batch_size"]
    total = 0.0
    for t in range(1, n_generations + 1):
        n_train = t * n if workflow == "accumulate" else n
        steps = params["steps"] or max(1, math.ceil(params["epochs"] * math.ceil(n_train / batch)))
        total += TRAIN * steps * batch * tokens * size + SCORE * params["n_test"] * tokens * size
        if t < n_generations:
            total += SAMPLE * SAMPLE_RATIO * n * tokens * size
    if params["threads"] == 1:
        total *= ONE_THREAD
    if _on_gpu(params["device"]):
        total /= GPU
    return n_seeds * total
