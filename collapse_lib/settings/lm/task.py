"""The language-model task-setting (chapter *Language models*).

Per seed and generation t (as in the paper's language-model experiment): copy the same
pre-trained base, fine-tune it on the workflow's training set, measure the cross-entropy on
REAL held-out examples, then sample ``n`` well-formed synthetic examples from the
fine-tuned model (temperature 1, from BOS alone) for the next generation. The loop and the
workflow rules are the generic :func:`~collapse_lib.workflows.run_chain` and
:class:`~collapse_lib.workflows.TrainingPool`; the examples are :class:`Example` objects,
so the real share of every training set is counted, not assumed.

Metrics (one value per seed and generation):

* ``test_loss`` -- mean cross-entropy, nats per token, on the held-out real split;
* ``tokens_seen`` -- target tokens processed by that generation's fine-tuning (under
  Accumulate with a fixed number of epochs it grows like t: the compute confound);
* ``real_share`` -- share of real examples in that generation's training set;
* ``acceptance_rate`` -- share of the documents sampled from model t that were well-formed
  (missing at the last generation, whose model is not sampled for training);
* ``train_loss`` (last tenth of the steps), ``n_train`` (examples trained on).

Extra columns: ``samples`` (the synthetic examples model t wrote for generation t + 1; at
the last generation, ``n_show`` examples drawn for display only), ``fit_seconds``,
``sample_seconds``, ``sample_tokens`` (tokens generated, rejected documents included) and
``eval_seconds``, for throughput; ``fit_steps`` (optimiser steps of that generation's
fine-tuning) and ``device_used`` (the device ``device="auto"`` resolved to).

The equal-compute control (:func:`control_params`) is the same setting with ``steps`` fixed:
every workflow then trains the same number of optimiser steps per generation.

Chains run together: a GPT-2 base (the CPU default) is fine-tuned, sampled and scored for
all the seeds of a call at once (:mod:`collapse_lib.settings.lm.chains`: one batched
computation, one optimiser step for every chain), through the setting's fast path
(:func:`run_chains`); the reference loop runs the same code with one chain, so a seed's
numbers are the same, bit for bit, whichever seeds run beside it. Any other model (a hub
model such as Gemma) runs one chain at a time through :mod:`collapse_lib.settings.lm.model`.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ...setting import Param, Setting
from ...validation import ParameterError, check_choice, check_float, check_int, check_str
from . import data

__all__ = ["Example", "LMTask", "LMFit", "load_base", "load_real", "make_task", "check_params",
           "control_params", "steps_per_generation", "control_workflows",
           "SETTING", "METRICS", "DEFAULT_MODEL", "CPU_BASE_NAME"]

METRICS = ("test_loss", "tokens_seen", "real_share", "acceptance_rate", "train_loss", "n_train")
EXTRA = ("samples", "fit_seconds", "sample_seconds", "sample_tokens", "eval_seconds", "fit_steps",
         "device_used")

#: ``lm_model`` of the CPU default: a small GPT-2 pre-trained here on the fortunes.
CPU_BASE_NAME = "local-gpt2"
DEFAULT_MODEL = CPU_BASE_NAME


@dataclass(frozen=True)
class Example:
    """One training example: its text (``user: ...\\nassistant: ...``) and whether it is real."""

    text: str
    real: bool


@dataclass
class LMFit:
    """A fine-tuned model with the statistics of its fine-tuning."""

    model: Any
    tokens_seen: int
    real_share: float
    n_train: int
    train_loss: float
    seconds: float
    t: int
    steps: int = 0


# --- the base model (cached per process and on disk) -----------------------------------------

_BASE_KEYS = ("lm_model", "lm_dataset", "n_reserve", "vocab_size", "d_model", "n_layer", "n_head",
              "max_len", "pretrain_steps", "pretrain_batch", "pretrain_lr", "device", "threads",
              "base_dir")


@lru_cache(maxsize=2)
def _load_base_cached(items: tuple[tuple[str, Any], ...]) -> tuple[Any, Any, dict[str, Any]]:
    p = dict(items)
    from . import chains as CH
    from . import model as M

    device = M.resolve_device(p["device"])
    if p["lm_model"] == CPU_BASE_NAME:
        corpus = _corpus_cached(p["lm_dataset"], p["n_reserve"], 0, "prompt", "response", train_split="train",
                                test_split="validation")
        if p["lm_dataset"] == "toy":  # a toy base: pre-trained on other toy records
            texts, key = corpus.reserve, {"pretrain_corpus": "toy reserve", "n_reserve": p["n_reserve"]}
            tokenizer_texts = corpus.reserve
        else:  # the fortunes, in the example format (the format is learnt before the verses)
            texts = data.fortune_examples()
            key = {"pretrain_corpus": data.FORTUNE_INFO["package"], "fortune_files": list(data.FORTUNE_FILES),
                   "pretrain_format": "user: {file} {number}\nassistant: {fortune}",
                   "tokenizer_corpus": ["fortunes", f"{p['lm_dataset']} reserve {p['n_reserve']}"],
                   "split_seed": data.SPLIT_SEED}
            tokenizer_texts = data.fortunes() + corpus.reserve
        model, tok, meta = M.pretrain_base(
            texts, tokenizer_texts, key=key, vocab_size=p["vocab_size"],
            d_model=p["d_model"], n_layer=p["n_layer"], n_head=p["n_head"], max_len=p["max_len"],
            steps=p["pretrain_steps"], batch_size=p["pretrain_batch"], lr=p["pretrain_lr"],
            threads=p["threads"], cache_dir=p["base_dir"] or None, progress=True, trainer=CH.train_model)
        model.to(device=device)
        return model, tok, meta
    return M.load_pretrained(p["lm_model"], device=device, dtype="float32")


def load_base(params: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    """The base model, tokenizer and a metadata dict (``parameters``, ``path``...) of a run.

    ``lm_model="local-gpt2"``: the CPU default, pre-trained once and cached on disk
    (:func:`~collapse_lib.settings.lm.model.pretrain_base`); any other value is a hub name or a local
    folder loaded with ``AutoModelForCausalLM`` / ``AutoTokenizer``. Kept in memory for the
    process, so the workflows of one chapter share it. Do not modify the returned model.
    """
    full = {**{k: v.default for k, v in SETTING.params.items()}, **params}
    return _load_base_cached(tuple((k, full[k]) for k in _BASE_KEYS))


@lru_cache(maxsize=2)
def _corpus_cached(dataset: str, n_reserve: int, n_test: int, prompt_field: str, response_field: str, *,
                   train_split: str, test_split: str) -> data.Corpus:
    return data.load_corpus(dataset, n_test=n_test, n_reserve=n_reserve, prompt_field=prompt_field,
                            response_field=response_field, train_split=train_split,
                            test_split=test_split)


def load_real(params: dict[str, Any]) -> data.Corpus:
    """The real data of a run (see :func:`collapse_lib.settings.lm.data.load_corpus`)."""
    full = {**{k: v.default for k, v in SETTING.params.items()}, **params}
    return _corpus_cached(full["lm_dataset"], full["n_reserve"], full["n_test"], full["lm_prompt_field"],
                          full["lm_response_field"], train_split=full["lm_train_split"],
                          test_split=full["lm_test_split"])


_REAL_KEYS = ("n_test", "lm_prompt_field", "lm_response_field", "lm_train_split", "lm_test_split")


@lru_cache(maxsize=2)
def _prepared_real(items: tuple[tuple[str, Any], ...]):
    """The real pool (texts) and test set (token ids) that fit in ``max_len``, the number
    left out for length, and the text -> token ids cache they were encoded into."""
    from . import model as M

    p = dict(items)
    _, tokenizer, _ = load_base(p)
    corpus = load_real(p)
    max_len = p["max_len"] if p["lm_model"] == CPU_BASE_NAME else p["max_len"] or 10**9
    cache: dict[str, list[int]] = {}
    texts = list(dict.fromkeys(corpus.pool + corpus.test))
    for text, ids in zip(texts, M.encode(tokenizer, texts)):
        cache[text] = ids
    pool = [t for t in corpus.pool if len(cache[t]) <= max_len]
    test = [cache[t] for t in corpus.test if len(cache[t]) <= max_len]
    return pool, test, len(corpus.pool) + len(corpus.test) - len(pool) - len(test), cache


# --- the task ---------------------------------------------------------------------------------

class LMTask:
    """The language-model setting for :func:`~collapse_lib.workflows.run_chain` (one seed),
    and for :func:`run_chains` (many seeds at once).

    ``fit`` fine-tunes a copy of the shared base; ``evaluate`` measures the real test loss
    and returns the generation's row, which ``sample`` completes with what it drew from
    that model; ``finish`` draws the ``n_show`` display examples from the last model.
    ``fit_many``, ``evaluate_many``, ``sample_many`` and ``finish_many`` do the same for
    several chains, one chain per argument, as one batched computation when the base is a
    GPT-2 (:attr:`stacked`); ``fit`` and the others are those with one chain. Every draw
    comes from the generators the loop passes in, so a seed's numbers are reproducible.
    ``params`` are checked parameters with the defaults filled in.
    """

    def __init__(self, params: dict[str, Any], progress: bool = False) -> None:
        from . import chains as CH
        from . import model as M

        self.M, self.CH = M, CH
        self.p = params
        self.progress = progress
        self.device = M.resolve_device(params["device"])
        self.base, self.tokenizer, self.base_meta = load_base(params)
        _, _, self.pad_id = M._special_ids(self.tokenizer)
        self.max_len = params["max_len"] if params["lm_model"] == CPU_BASE_NAME else params["max_len"] or 10**9
        # the tokenized real data are shared by every task of the process (same base, same corpus)
        self.pool, self.test, self.dropped_long, self._cache = _prepared_real(
            tuple((k, params[k]) for k in _BASE_KEYS + _REAL_KEYS))
        if len(self.pool) < params["n"]:
            raise ParameterError(f"parameter 'n'={params['n']} exceeds the {len(self.pool)} real examples "
                                 f"available for fine-tuning (those of at most max_len={params['max_len']} "
                                 "tokens): lower 'n' or raise 'max_len'")
        if not self.test:
            raise ParameterError(f"none of the n_test={params['n_test']} held-out examples fits in "
                                 f"max_len={params['max_len']} tokens: raise 'n_test' or 'max_len'")
        #: whether chains run as one batched computation (a GPT-2 base), or one at a time
        self.stacked = CH.supports(self.base)
        self.t = 0
        self.log: list[dict[str, Any]] = []

    def base_loss(self) -> float:
        """Test loss of the base model before any fine-tuning (nats per token)."""
        with self.M.torch_threads(self.p["threads"]):
            if self.stacked:
                stack = self.CH.Stack.of(self.base, 1, self.device)
                return float(self.CH.score_chains(stack, self.test, batch_size=self.p["eval_batch"],
                                                  pad_id=self.pad_id, amp=self.p["dtype"])[0])
            return self.M.mean_loss(self.base, self.test, batch_size=self.p["eval_batch"],
                                    pad_id=self.pad_id, device=self.device, amp=self.p["dtype"])

    def _encode(self, texts: list[str]) -> list[list[int]]:
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        for text, ids in zip(todo, self.M.encode(self.tokenizer, todo), strict=True):
            self._cache[text] = ids
        return [self._cache[t] for t in texts]

    def sample_real(self, n: int, rng: np.random.Generator) -> list[Example]:
        idx = rng.choice(len(self.pool), n, replace=False)
        return [Example(self.pool[i], True) for i in idx]

    def _recipe(self) -> dict[str, Any]:
        p = self.p
        return dict(epochs=p["epochs"], steps=p["steps"], batch_size=p["batch_size"], lr=p["lr"],
                    warmup=p["warmup"], weight_decay=p["weight_decay"], clip=p["clip"], amp=p["dtype"],
                    pad_id=self.pad_id)

    # --- many chains at once ------------------------------------------------------------

    def fit_many(self, sets: list[list[Example]], rngs: list[np.random.Generator]) -> list[LMFit]:
        """Fine-tune a copy of the base on each training set (chain c on ``sets[c]``, its
        batches from ``rngs[c]``); the sets must take the same number of steps."""
        self.t += 1
        p = self.p
        seqs = [self._encode([e.text for e in examples]) for examples in sets]
        fits = []
        with self.M.torch_threads(p["threads"]):
            if self.stacked:
                stack = self.CH.Stack.of(self.base, len(sets), self.device)
                stats = self.CH.train_chains(stack, seqs, rngs, progress=self.progress,
                                             desc=f"fine-tune t={self.t}", **self._recipe())
                models = [(stack, c) for c in range(len(sets))]
            else:
                models, stats = [], []
                for s, rng in zip(seqs, rngs):
                    recipe = self._recipe()
                    model, st = self.M.fine_tune(self.base, s, rng=rng, device=self.device,
                                                 micro_batch=p["micro_batch"], progress=self.progress,
                                                 desc=f"fine-tune t={self.t}", **recipe)
                    models.append(model)
                    stats.append(st)
        for examples, model, st in zip(sets, models, stats):
            fits.append(LMFit(model=model, tokens_seen=st.tokens_seen,
                              real_share=sum(e.real for e in examples) / len(examples), n_train=len(examples),
                              train_loss=st.train_loss, seconds=st.seconds, t=self.t, steps=st.steps))
        return fits

    def evaluate_many(self, fits: list[LMFit]) -> list[dict[str, Any]]:
        """The generation's row of each fit: its test loss and fine-tuning statistics."""
        started = time.perf_counter()
        with self.M.torch_threads(self.p["threads"]):
            if self.stacked:
                losses = self._score_stacks(fits)
            else:
                losses = [self.M.mean_loss(f.model, self.test, batch_size=self.p["eval_batch"], pad_id=self.pad_id,
                                           device=self.device, amp=self.p["dtype"]) for f in fits]
        seconds = (time.perf_counter() - started) / len(fits)
        return [{"test_loss": float(loss), "tokens_seen": f.tokens_seen, "real_share": f.real_share,
                 "acceptance_rate": math.nan, "train_loss": f.train_loss, "n_train": f.n_train,
                 "samples": (), "fit_seconds": f.seconds, "sample_seconds": math.nan, "sample_tokens": 0,
                 "eval_seconds": seconds, "fit_steps": f.steps, "device_used": str(self.device)}
                for f, loss in zip(fits, losses)]

    def _stacks(self, fits: list[LMFit]) -> list[tuple[Any, list[int], list[int]]]:
        """The stacks behind ``fits``: (stack, its chains in ``fits``' order, their positions)."""
        out: dict[int, tuple[Any, list[int], list[int]]] = {}
        for i, f in enumerate(fits):
            stack, c = f.model
            entry = out.setdefault(id(stack), (stack, [], []))
            entry[1].append(c)
            entry[2].append(i)
        return list(out.values())

    def _score_stacks(self, fits: list[LMFit]) -> list[float]:
        losses = [math.nan] * len(fits)
        for stack, chains, where in self._stacks(fits):
            sub = stack if chains == list(range(stack.count)) else stack.subset(chains)
            values = self.CH.score_chains(sub, self.test, batch_size=self.p["eval_batch"], pad_id=self.pad_id,
                                          amp=self.p["dtype"])
            for i, v in zip(where, values):
                losses[i] = float(v)
        return losses

    def _sample_many(self, fits: list[LMFit], n: int, rngs: list[np.random.Generator]):
        p = self.p
        max_new = p["max_new_tokens"] or max(1, self.max_len - 1)
        kw = dict(batch_size=p["sample_batch"], max_new_tokens=max_new, temperature=p["temperature"],
                  max_factor=p["max_sample_factor"], keep=self._keep, amp=p["dtype"])
        with self.M.torch_threads(p["threads"]):
            if not self.stacked:
                return [self.M.sample_examples(f.model, self.tokenizer, n, rng=rng, device=self.device,
                                               progress=self.progress, **kw) for f, rng in zip(fits, rngs)]
            out = [None] * len(fits)
            for stack, chains, where in self._stacks(fits):
                sub = stack if chains == list(range(stack.count)) else stack.subset(chains)
                got = self.CH.sample_chains(sub, self.tokenizer, [n] * len(chains), rngs=[rngs[i] for i in where],
                                            **kw)
                for i, g in zip(where, got):
                    out[i] = g
            return out

    def sample_many(self, fits: list[LMFit], n: int, rngs: list[np.random.Generator],
                    rows: list[dict[str, Any]]) -> list[list[Example]]:
        """``n`` synthetic examples from each fit; each fit's row (from :meth:`evaluate_many`)
        gets its acceptance rate, the samples and the time they took."""
        out = []
        for stats, row in zip(self._sample_many(fits, n, rngs), rows):
            row.update(acceptance_rate=stats.acceptance_rate, samples=tuple(stats.kept),
                       sample_seconds=stats.seconds, sample_tokens=stats.tokens)
            out.append([Example(text, False) for text in stats.kept])
        return out

    def finish_many(self, fits: list[LMFit], rngs: list[np.random.Generator], rows: list[dict[str, Any]]) -> None:
        """Draw ``n_show`` examples from each last model, for display only (after all metrics)."""
        if self.p["n_show"] > 0:
            for stats, row in zip(self._sample_many(fits, self.p["n_show"], rngs), rows):
                row.update(samples=tuple(stats.kept))

    def _keep(self, text: str) -> bool:
        """Well-formed, and (re-tokenized, which may split differently than sampled) no
        longer than ``max_len``: a kept sample is a valid training example."""
        return data.parse_example(text) is not None and len(self._encode([text])[0]) <= self.max_len

    # --- one chain (the protocol of run_chain) --------------------------------------------

    def fit(self, examples: list[Example], rng: np.random.Generator) -> LMFit:
        return self.fit_many([examples], [rng])[0]

    def evaluate(self, fit: LMFit) -> dict[str, Any]:
        row = self.evaluate_many([fit])[0]
        self.log.append(row)
        return row

    def sample(self, fit: LMFit, n: int, rng: np.random.Generator) -> list[Example]:
        return self.sample_many([fit], n, [rng], [self.log[-1]])[0]

    def finish(self, fit: LMFit, rng: np.random.Generator) -> None:
        """Draw ``n_show`` examples from the last model, for display only (after all metrics)."""
        self.finish_many([fit], [rng], [self.log[-1]])


#: The most chains fine-tuned as one batch (more seeds run in several batches; a chain's
#: numbers do not depend on the batch it runs in).
MAX_CHAINS = 32


def run_chains(workflow: str, n_generations: int, seeds: list[int], params: dict[str, Any],
               progress: bool = False) -> dict[str, np.ndarray]:
    """The fast path: :func:`~collapse_lib.workflows.run_chain` for every seed, in lockstep.

    Each seed keeps its own streams, exactly as the reference loop draws them (its real
    sample, its training sets, its batches, its samples), and the seeds of a generation
    are fine-tuned, scored and sampled as one batched computation (they train on sets of
    one size, so they take the same number of steps). Returns the metric and extra-column
    arrays, shape (seeds, generations). A base that is not a GPT-2 runs the reference loop.
    """
    from ...workflows import TrainingPool, run_chain, seed_rngs

    task = LMTask(params, progress)
    n = params["n"]
    rows: list[list[dict[str, Any]]] = [[] for _ in seeds]
    if not task.stacked:
        rows = [run_chain(LMTask(params, progress), workflow, n=n, n_generations=n_generations, seed=s)
                for s in seeds]
    else:
        for lo in range(0, len(seeds), MAX_CHAINS):
            part = list(range(lo, min(len(seeds), lo + MAX_CHAINS)))
            streams = [seed_rngs(seeds[i]) for i in part]
            rngs = [rng for _, rng in streams]
            pools = [TrainingPool(workflow, task.sample_real(n, rng_real), n=n) for rng_real, _ in streams]
            for t in range(1, n_generations + 1):
                fits = task.fit_many([pool.training_set(rng) for pool, rng in zip(pools, rngs)], rngs)
                got = task.evaluate_many(fits)
                if t < n_generations:
                    for pool, synthetic in zip(pools, task.sample_many(fits, n, rngs, got)):
                        pool.add(synthetic)
                else:
                    task.finish_many(fits, rngs, got)
                for i, row in zip(part, got):
                    rows[i].append(row)
    out: dict[str, np.ndarray] = {}
    for name in METRICS + EXTRA:
        values = [[row.get(name, math.nan) for row in chain] for chain in rows]
        if name in ("samples", "device_used"):
            arr = np.empty((len(seeds), n_generations), dtype=object)
            for i, chain in enumerate(values):
                for j, v in enumerate(chain):
                    arr[i, j] = v
            out[name] = arr
        else:
            out[name] = np.array(values, dtype=float)
    return out


def _fast(workflow: str, n_generations: int, seeds: list[int], params: dict[str, Any]) -> dict[str, np.ndarray]:
    return run_chains(workflow, n_generations, seeds, params)


def make_task(params: dict[str, Any], progress: bool = False) -> LMTask:
    """An :class:`LMTask` for ``params`` (checked here, defaults filled in)."""
    return LMTask(check_params(params), progress)


#: The shortest ``max_len`` of the local model: at 24 tokens, 135 of the KJV's 29,000 verses fit.
MIN_LOCAL_LEN = 32
#: The fewest held-out examples a test loss is measured on.
MIN_TEST = 10


def _check(values: dict[str, Any]) -> None:
    if values["d_model"] % values["n_head"]:
        raise ParameterError(f"parameter 'd_model'={values['d_model']} must be a multiple of "
                             f"'n_head'={values['n_head']}")
    if values["steps"] == 0 and values["epochs"] <= 0:
        raise ParameterError("set parameter 'epochs' > 0 (train for that many passes) or "
                             "'steps' > 0 (a fixed number of optimiser steps)")
    if values["lm_model"] == CPU_BASE_NAME and values["max_len"] < MIN_LOCAL_LEN:
        raise ParameterError(f"parameter 'max_len' must be >= {MIN_LOCAL_LEN} for the local model (the "
                             "examples longer than max_len tokens are left out, and below that too few of "
                             f"the corpus's examples are left); got {values['max_len']}")
    if values["lm_model"] != CPU_BASE_NAME and values["max_len"] == 0 and values["max_new_tokens"] == 0:
        raise ParameterError("a hub model needs 'max_new_tokens' > 0 (or 'max_len' > 0)")
    _check_device(values["device"])
    if values["lm_model"] != CPU_BASE_NAME:
        _check_model(values["lm_model"])


def _check_device(device: str) -> None:
    """A device the installed torch can use (``"auto"`` always can)."""
    if device in ("cpu", "auto"):
        return
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"built for CUDA {torch.version.cuda}"
        raise ParameterError(f"parameter 'device' is 'cuda', but this torch ({torch.__version__}, {build}) "
                             "sees no CUDA device; use 'cpu', or 'auto' to take a GPU when there is one")
    if device == "mps" and not (getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()):
        raise ParameterError("parameter 'device' is 'mps', but this machine has no Apple GPU; use 'cpu' or 'auto'")


_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def _check_model(name: str) -> None:
    """A model that can be loaded: a local folder (looked for first), a model in the local
    Hugging Face cache, or a hub name when the hub can be reached. Refuses at once
    otherwise, instead of a minute of network retries."""
    from pathlib import Path

    folder = Path(name).expanduser()
    if folder.is_dir():
        if not (folder / "config.json").exists():
            raise ParameterError(f"parameter 'lm_model': folder {name!r} holds no config.json (save a model "
                                 "there with save_pretrained)")
        return
    if not _HUB_ID.match(name) or name.startswith((".", "/", "~")):
        raise ParameterError(f"parameter 'lm_model': {name!r} is neither {CPU_BASE_NAME!r}, nor an existing "
                             "folder, nor a hub model name such as 'google/gemma-2-2b'")
    try:
        from huggingface_hub import constants, try_to_load_from_cache
    except ImportError:  # pragma: no cover - transformers depends on it
        return
    if isinstance(try_to_load_from_cache(name, "config.json"), str):
        return  # in the local cache: loads without a network
    if constants.HF_HUB_OFFLINE or not _hub_reachable(constants.ENDPOINT):
        raise ParameterError(
            f"parameter 'lm_model': {name!r} is not a local folder, is not in the local Hugging Face "
            "cache, and the hub cannot be reached from this machine (offline). Pass "
            f"{CPU_BASE_NAME!r}, a folder written by save_pretrained, or run with a network")


def _hub_reachable(endpoint: str, timeout: float = 3.0) -> bool:
    """Whether a TCP connection to the hub's endpoint opens within ``timeout`` seconds."""
    import socket
    from urllib.parse import urlparse

    url = urlparse(endpoint)
    try:
        with socket.create_connection((url.hostname or "", url.port or 443), timeout=timeout):
            return True
    except OSError:
        return False


def _int(minimum: int, maximum: int | None = None):
    return lambda k, v: check_int(k, v, minimum=minimum, maximum=maximum)


def _float(minimum: float, strict: bool = False, maximum: float | None = None):
    return lambda k, v: check_float(k, v, minimum=minimum, strict_minimum=strict, maximum=maximum)


def _str(k: str, v: Any) -> str:
    return check_str(k, v)


#: Small parameters that run in seconds: a toy corpus and a base of a few thousand
#: parameters pre-trained on it (the setting's contract tests).
EXAMPLE: dict[str, Any] = {
    "lm_dataset": "toy", "n_reserve": 1000, "vocab_size": 300, "d_model": 32, "n_layer": 2, "n_head": 2,
    "max_len": 32, "pretrain_steps": 150, "pretrain_batch": 32, "pretrain_lr": 1e-2, "n": 24, "n_test": 20,
    "epochs": 2.0, "batch_size": 8, "lr": 1e-2, "warmup": 2, "sample_batch": 64, "n_show": 2, "eval_batch": 32,
    "threads": 1, "device": "cpu",
}

SETTING = Setting(
    name="lm",
    params={
        # data
        "n": Param(_int(1), 500, "examples per generation (real at t = 1, synthetic after), int >= 1"),
        "n_test": Param(_int(MIN_TEST), 500, f"held-out real examples for test_loss, int >= {MIN_TEST}"),
        "lm_dataset": Param(_str, "kjv", "'kjv' (offline default), a local .jsonl/.json file, or a hub "
                            "dataset name such as 'nvidia/HelpSteer2' (needs `datasets` and a network)"),
        "lm_prompt_field": Param(_str, "prompt", "record field holding the prompt (file/hub datasets)"),
        "lm_response_field": Param(_str, "response", "record field holding the response (file/hub datasets)"),
        "lm_train_split": Param(_str, "train", "hub dataset split for the fine-tuning pool"),
        "lm_test_split": Param(_str, "validation", "hub dataset split for the held-out test set"),
        "n_reserve": Param(_int(0), 2000, "KJV verses reserved (with the fortunes) for the tokenizer, "
                           "disjoint from the pool and the test set, int >= 0 (lm_dataset 'kjv' only)"),
        # model
        "lm_model": Param(_str, DEFAULT_MODEL, "'local-gpt2' (offline default: pre-trained here and "
                          "cached), a local model folder, or a hub name such as 'google/gemma-2-2b'"),
        "vocab_size": Param(_int(256 + 3), 2048, "BPE vocabulary of the local tokenizer"),
        "d_model": Param(_int(8), 64, "width of the local GPT-2"),
        "n_layer": Param(_int(1), 4, "blocks of the local GPT-2"),
        "n_head": Param(_int(1), 4, "attention heads of the local GPT-2"),
        "max_len": Param(_int(0), 64, "longest example in tokens (BOS and EOS included); longer "
                         f"ones are left out; at least {MIN_LOCAL_LEN} for the local model; 0 = no limit "
                         "(hub models only)"),
        "pretrain_steps": Param(_int(1), 400, "optimiser steps pre-training the local base"),
        "pretrain_batch": Param(_int(1), 32, "documents per pre-training step"),
        "pretrain_lr": Param(_float(0.0, strict=True), 2e-3, "peak learning rate of pre-training"),
        # fine-tuning
        "epochs": Param(_float(0.0), 2.0, "passes over the training set per generation (used when "
                        "steps = 0; the paper: 1)"),
        "steps": Param(_int(0), 0, "fixed optimiser steps per generation (0 = use epochs)"),
        "batch_size": Param(_int(1), 32, "examples per optimiser step"),
        "micro_batch": Param(_int(0), 0, "examples per forward pass (gradient accumulation) of a model run "
                             "one chain at a time (a hub model); 0 = batch_size. Chains of a GPT-2 run whole "
                             "batches"),
        "lr": Param(_float(0.0, strict=True), 2e-3, "AdamW learning rate after warm-up (constant)"),
        "warmup": Param(_int(0), 5, "linear warm-up steps"),
        "weight_decay": Param(_float(0.0), 0.0, "AdamW weight decay"),
        "clip": Param(_float(0.0), 1.0, "gradient-norm clipping (0 = none)"),
        # sampling
        "temperature": Param(_float(0.0, strict=True), 1.0, "sampling temperature (the paper: 1)"),
        "sample_batch": Param(_int(1), 250, "documents generated per batch"),
        "max_new_tokens": Param(_int(0), 0, "longest sample in tokens; 0 = max_len - 1"),
        "max_sample_factor": Param(_float(1.0), 10.0, "give up after this many times n documents"),
        "n_show": Param(_int(0), 8, "examples drawn from the last generation's model, for display"),
        "eval_batch": Param(_int(1), 64, "examples per forward pass when scoring the test set"),
        # machine
        "device": Param(lambda k, v: check_choice(k, v, ("cpu", "cuda", "mps", "auto")), "auto",
                        "'auto' (a CUDA GPU when torch sees one, else an Apple GPU, else the CPU), "
                        "'cpu', 'cuda' or 'mps'; the device used is the column device_used"),
        "dtype": Param(lambda k, v: check_choice(k, v, ("float32", "bfloat16", "float16")), "float32",
                       "compute dtype: 'float32', or 'bfloat16'/'float16' "
                       "for mixed precision (weights and optimiser state stay float32)"),
        "threads": Param(_int(0), 2, "torch intra-op threads (0 = torch's default); a fixed count "
                         "gives bit-identical numbers, another count changes their last bits"),
        "base_dir": Param(_str, "", "folder of cached pre-trained bases ('' = lm-bases/ in the result "
                          "store's folder)"),
    },
    metrics=METRICS,
    task=LMTask,
    fast=_fast,
    fast_exact=True,
    validate=_check,
    may_be_nan=frozenset({"acceptance_rate"}),
    columns=EXTRA,
    dependencies=("torch", "transformers", "tokenizers"),
    resources=lambda p: {"GPU": 1} if p["device"] == "cuda" else None,  # a task on CUDA asks for a GPU worker
    # one chain per task: a language-model chain takes minutes; the seeds of a unit run here
    # together (the fast path), each with the numbers it has alone
    extra={"seeds_per_task": 1, "example": EXAMPLE},
    doc="Language models: fine-tune the same base each generation, sample, score real held-out text.",
)


def check_params(params: dict[str, Any]) -> dict[str, Any]:
    """Check language-model parameters as :func:`~collapse_lib.simulate.simulate` will
    (unknown names, types, ranges, combinations) and return them with the defaults filled in."""
    from ...registry import check_params as check

    return check(SETTING, dict(params))


# --- the equal-compute control --------------------------------------------------------------

def steps_per_generation(params: dict[str, Any], n_train: int) -> int:
    """Optimiser steps one generation's fine-tuning takes on ``n_train`` examples (as
    :func:`~collapse_lib.settings.lm.model.train_steps` counts them): ``steps`` when it is
    set, else ``epochs`` passes in batches of ``batch_size``, rounded up."""
    if params["steps"] > 0:
        return int(params["steps"])
    return max(1, math.ceil(params["epochs"] * math.ceil(n_train / params["batch_size"])))


def control_params(params: dict[str, Any], control_steps: int) -> dict[str, Any]:
    """The equal-compute control of a run: the same parameters with ``steps = control_steps``,
    so that every workflow trains ``control_steps`` optimiser steps per generation, whatever
    the size of its training set. Checked like every parameter of the setting (``control_steps``
    an int >= 1: 0 means no control, which has no parameters)."""
    control_steps = check_int("control_steps", control_steps, minimum=1)
    return check_params({**params, "steps": control_steps})


def control_workflows(params: dict[str, Any], control_steps: int,
                      workflows: tuple[str, ...] | None = None) -> list[str]:
    """The workflows whose control run differs from their main run. Replace and
    Accumulate-Subsample train on ``n`` examples every generation: when their main run
    already takes ``control_steps`` steps per generation, the control is the main run, bit
    for bit (same batches, same draws), and need not run again. Accumulate's training set
    grows, so it always runs."""
    from ...workflows import WORKFLOWS

    checked = check_params(params)
    main = steps_per_generation(checked, checked["n"])
    return [wf for wf in (WORKFLOWS if workflows is None else workflows)
            if wf == "accumulate" or main != control_steps]
