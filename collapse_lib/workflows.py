"""The three workflows as data-selection strategies, and the generation loop (chapter *Workflows*).

A workflow decides what each generation trains on. The paper's loop is written once,
in :func:`run_chain`; every setting that has no batched fast path (language models, linear
regression, discrete distributions, and any run with the options beyond the paper) goes
through it, and the fast paths are tested against it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from .validation import ParameterError, check_bool, check_choice, check_float, check_int

__all__ = [
    "WORKFLOWS",
    "Task",
    "TrainingPool",
    "check_workflow",
    "real_share",
    "run_chain",
    "seed_rngs",
    "training_composition",
    "concat_examples",
    "take_examples",
]

#: The workflows of the paper, in the order the chapters draw them (left to right).
WORKFLOWS: tuple[str, ...] = ("replace", "accumulate-subsample", "accumulate")

Data = Any  # a numpy array with examples on axis 0, or a list of examples


class Task(Protocol):
    """What the generic loop needs from a task-setting."""

    def sample_real(self, n: int, rng: np.random.Generator) -> Data:
        """Draw ``n`` examples from the true distribution."""

    def fit(self, data: Data, rng: np.random.Generator) -> Any:
        """Fit a model to ``data``."""

    def sample(self, model: Any, n: int, rng: np.random.Generator) -> Data:
        """Draw ``n`` synthetic examples from a fitted model."""

    def evaluate(self, model: Any) -> dict[str, float]:
        """Metrics of a fitted model, always against the real distribution / real test data."""


def check_workflow(workflow: Any) -> str:
    """Return ``workflow`` if it is one of :data:`WORKFLOWS`, else raise naming them."""
    return check_choice("workflow", workflow, WORKFLOWS)


def seed_rngs(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """The two independent streams of one chain: (real data, everything else).

    The real data of a seed come from their own stream, so every workflow with the same
    seed starts from the same real sample and its generation-1 fit is identical.
    """
    return (np.random.default_rng([int(seed), 0]), np.random.default_rng([int(seed), 1]))


def real_share(workflow: str, t: int) -> float:
    """Share of real data in the training set at generation ``t`` (1-based), expected value.

    Replace: 1 then 0; Accumulate: exactly 1/t; Accumulate-Subsample: 1/t in expectation
    (a uniform subsample of a pool that is 1/t real).
    """
    check_workflow(workflow)
    check_int("t", t, minimum=1)
    if workflow == "replace":
        return 1.0 if t == 1 else 0.0
    return 1.0 / t


def concat_examples(parts: Sequence[Data]) -> Data:
    """Concatenate batches of examples (arrays on axis 0, or lists); empty batches are skipped."""
    parts = [p for p in parts if _size(p)] or list(parts[:1])
    if isinstance(parts[0], np.ndarray):
        return np.concatenate(parts, axis=0)
    out: list[Any] = []
    for p in parts:
        out.extend(p)
    return out


def take_examples(data: Data, idx: np.ndarray) -> Data:
    """The examples at positions ``idx`` (an array or a list of examples)."""
    if isinstance(data, np.ndarray):
        return data[idx]
    return [data[i] for i in idx]


def _size(data: Data) -> int:
    return int(data.shape[0]) if isinstance(data, np.ndarray) else len(data)


class TrainingPool:
    """Everything a chain has seen, and the rule that picks each generation's training set.

    ``real_mix`` (beyond the paper): the share of real examples in every training set from
    generation 2 on, for the fixed-size workflows (Replace, Accumulate-Subsample); the rest
    is picked by the workflow from the synthetic data. ``fresh_real`` (beyond the paper):
    the real part is a new draw from the true distribution each generation (for Accumulate:
    each generation adds ``n`` fresh real examples beside the ``n`` synthetic ones).
    """

    def __init__(self, workflow: str, real: Data, *, n: int, real_mix: float = 0.0,
                 fresh_real: bool = False,
                 sample_real: Callable[[int], Data] | None = None) -> None:
        self.workflow = check_workflow(workflow)
        self.n = check_int("n", n, minimum=1)
        self.real_mix = check_float("real_mix", real_mix, minimum=0.0, maximum=1.0)
        self.fresh_real = check_bool("fresh_real", fresh_real)
        if self.real_mix > 0 and self.workflow == "accumulate":
            raise ParameterError("parameter 'real_mix' applies to the fixed-size workflows "
                                 "'replace' and 'accumulate-subsample'; Accumulate already keeps "
                                 "every real example (use real_mix=0.0)")
        if self.fresh_real and sample_real is None:
            raise ParameterError("parameter 'fresh_real' needs a sampler of real data")
        self._sample_real = sample_real
        self.real: list[Data] = [real]
        self.synthetic: list[Data] = []
        self.t = 1

    def add(self, synthetic: Data) -> None:
        """Add the newest synthetic batch; the chain moves on to the next generation."""
        if _size(synthetic) != self.n:
            raise ValueError(f"a generation must add exactly n={self.n} synthetic examples, "
                             f"got {_size(synthetic)}")
        self.synthetic.append(synthetic)
        self.t += 1
        if self.fresh_real and self._sample_real is not None:
            fresh = self._sample_real(self.n)
            if self.workflow == "accumulate":
                self.real.append(fresh)
            else:
                self.real = [fresh]

    def training_set(self, rng: np.random.Generator) -> Data:
        """The training data of the current generation (chapter *Workflows*)."""
        if self.t == 1:  # the real data alone (Accumulate-Subsample: drawn without replacement)
            real = concat_examples(self.real)
            if self.workflow != "accumulate-subsample":
                return real
            return take_examples(real, rng.choice(_size(real), self.n, replace=False))
        k_real = int(round(self.real_mix * self.n))
        if self.workflow == "accumulate":
            return concat_examples(self.real + self.synthetic)
        if self.workflow == "replace":
            synth = self.synthetic[-1]
            source_real = self.real[-1]
        else:  # accumulate-subsample
            if self.real_mix == 0:
                pool = concat_examples(self.real + self.synthetic)
                return take_examples(pool, rng.choice(_size(pool), self.n, replace=False))
            synth = concat_examples(self.synthetic)
            source_real = concat_examples(self.real)
        if k_real == 0:
            return synth if self.workflow == "replace" else \
                take_examples(synth, rng.choice(_size(synth), self.n, replace=False))
        real_part = take_examples(source_real, rng.choice(_size(source_real), k_real, replace=False))
        synth_part = take_examples(synth, rng.choice(_size(synth), self.n - k_real, replace=False))
        return concat_examples([real_part, synth_part])


def run_chain(task: Task, workflow: str, *, n: int, n_generations: int, seed: int,
              real_mix: float = 0.0, fresh_real: bool = False,
              on_generation: Callable[[int], None] | None = None) -> list[dict[str, float]]:
    """Run one chain of the loop and return one metrics dict per generation (t = 1..T).

    Generation 1 fits the real data alone; each later generation adds exactly ``n``
    synthetic examples drawn from the previous generation's model. The rows are the dicts
    ``task.evaluate`` returned, kept as they are (a task may fill in a row later, say with
    what it sampled from that model). A task may define ``finish(model, rng)``, called
    once with the last generation's model (which is not sampled for training).
    """
    rng_real, rng = seed_rngs(seed)
    real = task.sample_real(n, rng_real)
    pool = TrainingPool(workflow, real, n=n, real_mix=real_mix, fresh_real=fresh_real,
                        sample_real=lambda k: task.sample_real(k, rng_real))
    rows: list[dict[str, float]] = []
    for t in range(1, n_generations + 1):
        model = task.fit(pool.training_set(rng), rng)
        rows.append(task.evaluate(model))
        if t < n_generations:
            pool.add(task.sample(model, n, rng))
        elif hasattr(task, "finish"):
            task.finish(model, rng)
        if on_generation is not None:
            on_generation(t)
    return rows


def training_composition(workflow: str, t: int, n: int) -> np.ndarray:
    """Expected number of training examples from each source at generation ``t``.

    Returns an array of length ``t``: entry 0 counts real examples, entry j >= 1 the
    synthetic examples drawn from model_j. Replace trains on model_{t-1}'s samples only,
    Accumulate on everything (n from each source), Accumulate-Subsample on n examples
    spread evenly in expectation (n / t from each source).
    """
    check_workflow(workflow)
    t = check_int("t", t, minimum=1)
    n = check_int("n", n, minimum=1)
    counts = np.zeros(t)
    if workflow == "replace":
        counts[t - 1] = n
    elif workflow == "accumulate":
        counts[:] = n
    else:
        counts[:] = n / t
    return counts
