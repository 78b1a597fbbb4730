"""The value of synthetic data for the language model (chapter *The value of synthetic data*).

The paper's own experiment, at CPU scale, run by the one loop of every model,
:func:`collapse_lib.value.run_value`, with the language model as its task
(:class:`MixingTask`). For each seed and each cell ``(num_real, num_synthetic)``:

1. the real data that exist are a fixed set of ``n_available`` examples of the fine-tuning
   pool (one data set for every seed, as a real corpus is: drawn once with
   :data:`POOL_SEED`); the seed draws a random permutation of them, and a cell's real
   examples are the first ``num_real`` of it (random per seed, nested within a seed);
2. a **generator** is fine-tuned from the pre-trained base and writes ``max(num_synthetic)``
   well-formed synthetic examples (temperature 1, from BOS alone); a cell takes the first
   ``num_synthetic`` of them. Two generators (``generators``):

   * ``"pool"``, the paper's design: fine-tuned on **all** ``n_available`` real examples, a
     generator that knows more than a learner given a few of them (the authors' synthetic
     data came from their first model, fine-tuned on the whole real training split);
   * ``"subset"``, self-augmentation, the contrast: fine-tuned on the learner's own
     ``num_real`` examples, so that its samples carry nothing the learner lacks (run for
     the cells with fewer real examples than exist, where the two differ);

   generators train ``fixed_steps`` optimiser steps (so that a few dozen real examples
   give a model that writes the format; the pool generator sees every real example when
   ``fixed_steps * batch_size >= n_available``);
3. a **learner** is fine-tuned from the same base on the ``num_real`` real plus the
   ``num_synthetic`` synthetic examples, and scored by its cross-entropy (nats per token)
   on the held-out real test set.

Two designs of the learner's training (``designs``), fed by the same generators:

* ``"epochs"``: ``epochs`` passes over its training set, so adding synthetic data also adds
  optimiser steps (compute grows with the data, as in a fixed-epoch fine-tuning recipe);
* ``"fixed-steps"``: ``fixed_steps`` optimiser steps whatever the data size (the
  fixed-compute variant): a change in loss then comes from what the examples are, not from
  training longer.

The seeds of a fit run as one batched computation (:mod:`collapse_lib.settings.lm.chains`),
with the numbers each has alone. Random streams are those of
:func:`collapse_lib.value.run_value`; with a fixed torch thread count (parameter ``threads``)
the numbers are bit-identical from run to run.

Every row (generator, design, seed, cell) is one unit of the result store
(:mod:`collapse_lib.store`), setting ``"lm"``, workflow ``"value"``: keyed by all the arguments, the language-model code
fingerprint and a digest of this module and of the loop, so a rebuild reads them back
without loading a model (:func:`stored_lm_value` reads them and computes nothing).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...validation import ParameterError, check_choice, check_float, check_int, check_int_list, check_seeds

__all__ = ["DESIGNS", "DESIGN_LABELS", "GENERATORS", "GENERATOR_LABELS", "WORKFLOW", "POOL_SEED", "TIMING",
           "COLUMNS", "MixingTask", "cell_steps", "check_arguments", "chapter_arguments", "run_lm_value",
           "stored_lm_value", "summarise_cells", "paired_changes", "grid_table", "nearest"]

#: The two designs of the learner's training (see the module docstring).
DESIGNS: tuple[str, ...] = ("epochs", "fixed-steps")
#: How the chapter names them.
DESIGN_LABELS: dict[str, str] = {"epochs": "fixed epochs (steps grow with the data)",
                                 "fixed-steps": "fixed steps (same compute)"}
#: The two generators: the paper's (fit on all the real data) and self-augmentation.
GENERATORS: tuple[str, ...] = ("pool", "subset")
GENERATOR_LABELS: dict[str, str] = {"pool": "generator fit on all the real data (the paper's design)",
                                    "subset": "self-augmentation (generator fit on the learner's real data)"}
#: The store's workflow name for one unit of this experiment.
WORKFLOW = "value"
#: The seed that draws the one data set of real examples every seed shares.
POOL_SEED = 2024
#: Language-model parameters this experiment sets itself (per design and cell).
_OWN = ("steps", "epochs", "n", "n_show")
#: Columns that measure time, not results (differ from run to run).
TIMING = ("fit_seconds", "eval_seconds", "generator_sample_seconds")
#: The columns of :func:`run_lm_value`'s frame, in order.
COLUMNS = ("setting", "design", "generator", "subset", "seed", "n_available", "num_real_requested", "num_real",
           "capped", "num_synthetic", "total", "real_proportion", "steps", "tokens_seen", "test_loss",
           "train_loss", "fit_seconds", "eval_seconds", "generator_acceptance", "generator_sample_seconds")


def cell_steps(design: str, total: int, *, epochs: float, fixed_steps: int, batch_size: int) -> int:
    """Optimiser steps of a learner trained on ``total`` examples under ``design``.

    ``"fixed-steps"``: ``fixed_steps``; ``"epochs"``: ``epochs`` passes of whole batches,
    ``ceil(epochs * ceil(total / batch_size))`` and at least 1 (the rule of
    :func:`collapse_lib.settings.lm.model.train_steps`).
    """
    design = check_choice("design", design, DESIGNS)
    if design == "fixed-steps":
        return int(fixed_steps)
    return max(1, math.ceil(epochs * math.ceil(total / batch_size)))


# --- the task of the experiment ---------------------------------------------------------------

class _Samples(list):
    """Synthetic examples, with what their generator reported (``info``)."""

    info: dict[str, float]


class _Fit:
    """A learner's fit, or its memoised evaluation."""

    def __init__(self, fit: Any = None, done: dict[str, float] | None = None, key: Any = None) -> None:
        self.fit, self.done, self.key = fit, done, key


class MixingTask:
    """The language model as a task of :func:`collapse_lib.value.run_value` that runs many
    fits at once (``batched``): ``fit_many`` fine-tunes copies of the base (fits of one
    size as one batch), ``sample_many`` samples each, ``evaluate_many`` scores each.

    ``params``: checked language-model parameters; ``steps``: the recipe (a fixed number of
    steps, or 0 for ``params["epochs"]`` passes). ``memo``: evaluations shared between tasks
    (a fit is a function of its data, its generator's state and its recipe: the learners
    without synthetic data are the same under both generators, and run once).
    """

    batched = True

    def __init__(self, params: dict[str, Any], steps: int, memo: dict[Any, dict[str, float]] | None = None) -> None:
        from .task import LMTask

        self.params = {**params, "steps": steps}
        self.task = LMTask(self.params)
        self.memo = memo if memo is not None else {}

    def sample_real(self, i: int, n: int, rng: np.random.Generator) -> list[Any]:
        return self.task.sample_real(n, rng)

    def _key(self, data: list[Any], rng: np.random.Generator) -> str:
        blob = json.dumps([self.params["steps"], self.params["epochs"], [e.text for e in data], [e.real for e in data],
                           rng.bit_generator.state], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    def fit_many(self, jobs: list[tuple[int, list[Any], np.random.Generator]]) -> list[_Fit]:
        from .task import MAX_CHAINS, steps_per_generation

        out: list[_Fit | None] = [None] * len(jobs)
        groups: dict[int, list[int]] = {}
        for j, (_, data, rng) in enumerate(jobs):
            key = self._key(data, rng)
            if key in self.memo:
                out[j] = _Fit(done=self.memo[key])
            else:
                out[j] = _Fit(key=key)
                groups.setdefault(steps_per_generation(self.params, len(data)), []).append(j)
        for members in groups.values():
            for lo in range(0, len(members), MAX_CHAINS):
                part = members[lo:lo + MAX_CHAINS]
                fits = self.task.fit_many([jobs[j][1] for j in part], [jobs[j][2] for j in part])
                for j, fit in zip(part, fits):
                    out[j].fit = fit
        return out

    def evaluate_many(self, jobs: list[tuple[int, _Fit]]) -> list[dict[str, float]]:
        todo = [f for _, f in jobs if f.done is None]
        if todo:
            rows = self.task.evaluate_many([f.fit for f in todo])
            for f, row in zip(todo, rows):
                f.done = {"steps": int(row["fit_steps"]), "tokens_seen": int(row["tokens_seen"]),
                          "test_loss": float(row["test_loss"]), "train_loss": float(row["train_loss"]),
                          "fit_seconds": float(row["fit_seconds"]), "eval_seconds": float(row["eval_seconds"])}
                self.memo[f.key] = f.done
                f.fit = None
        return [dict(f.done) for _, f in jobs]

    def sample_many(self, jobs: list[tuple[int, _Fit, int, np.random.Generator]]) -> list[_Samples]:
        from .task import Example

        out = []
        for stats in self.task._sample_many([f.fit for _, f, _, _ in jobs], jobs[0][2], [rng for *_, rng in jobs]):
            samples = _Samples(Example(text, False) for text in stats.kept)
            samples.info = {"acceptance": float(stats.acceptance_rate), "sample_seconds": float(stats.seconds)}
            out.append(samples)
        return out


# --- arguments --------------------------------------------------------------------------------

def _code_digest() -> str:
    from ...registry import source_digest

    return source_digest([__name__, "collapse_lib.value"])


def check_arguments(lm_params: Mapping[str, Any], num_real: Any, num_synthetic: Any, seeds: Any, *, epochs: Any,
                    fixed_steps: Any, designs: Any = DESIGNS, n_available: Any = 0, generators: Any = GENERATORS
                    ) -> tuple[dict[str, Any], list[int], list[int], list[int], float, int, list[str], int, list[str]]:
    """The arguments of :func:`run_lm_value`, checked (a bad one raises naming it) and
    normalised: (language-model parameters with the defaults filled in, seeds, num_real,
    num_synthetic, epochs, fixed_steps, designs, n_available, generators). Loads no model."""
    from .task import check_params

    if not isinstance(lm_params, Mapping):
        raise ParameterError(f"parameter 'lm_params' must be a mapping of language-model parameters; "
                             f"got {type(lm_params).__name__}")
    own = sorted(set(lm_params) & set(_OWN))
    if own:
        raise ParameterError(f"language-model parameter(s) {own} are set by the experiment itself: pass "
                             "'epochs' and 'fixed_steps' to run_lm_value instead")
    seed_list = check_seeds(seeds)
    reals = list(dict.fromkeys(check_int_list("num_real", num_real, minimum=1)))
    synths = list(dict.fromkeys(check_int_list("num_synthetic", num_synthetic, minimum=0)))
    if 0 not in synths:
        raise ParameterError(f"parameter 'num_synthetic' must include 0 (training on real data alone is the "
                             f"baseline); got {synths}")
    epochs = check_float("epochs", epochs, minimum=0.0, strict_minimum=True)
    fixed_steps = check_int("fixed_steps", fixed_steps, minimum=1)
    lists = []
    for name, value, allowed in (("designs", designs, DESIGNS), ("generators", generators, GENERATORS)):
        items = [value] if isinstance(value, str) else list(value)
        items = list(dict.fromkeys(check_choice(name, v, allowed) for v in items))
        if not items:
            raise ParameterError(f"parameter '{name}' must name at least one of {', '.join(allowed)}")
        lists.append(items)
    n_available = check_int("n_available", n_available, minimum=0)
    # n = 1: the experiment draws its own real examples (the task's check of n is moot)
    params = check_params({**lm_params, "n": 1, "n_show": 0, "steps": fixed_steps, "epochs": epochs})
    return params, seed_list, reals, synths, epochs, fixed_steps, lists[0], n_available, lists[1]


#: The value chapter's parameters that are language-model parameters, by their name there.
CHAPTER_LM_PARAMS = {"lm_model": "lm_model", "lm_dataset": "lm_dataset", "n_test": "lm_n_test",
                     "batch_size": "lm_batch_size", "lr": "lm_lr", "max_len": "lm_max_len", "device": "device",
                     "threads": "threads"}


def chapter_arguments(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The language-model parameters and the keyword arguments of :func:`run_lm_value` that
    the chapter *The value of synthetic data* passes, from its parameter values (as
    :func:`collapse_lib.chapters.chapter_values` returns them). The chapter and
    :func:`stored_lm_value` both use it, so they ask the store for the same units."""
    lm_params = {k: values[v] for k, v in CHAPTER_LM_PARAMS.items() if v in values}
    args = dict(num_real=values["lm_num_real"], num_synthetic=values["lm_num_synthetic"], seeds=values["lm_seeds"],
                epochs=values["lm_epochs"], fixed_steps=values["lm_fixed_steps"],
                n_available=values["lm_n_available"])
    return lm_params, args


# --- the experiment ---------------------------------------------------------------------------

def _requests(params: dict[str, Any], seeds: list[int], reals: list[int], synths: list[int], *, epochs: float,
              fixed_steps: int, designs: list[str], n_available: int, generator: str
              ) -> dict[tuple[int, str, int, int], dict[str, Any]]:
    """The store's key of every row of a generator's run: (seed, design, num_real requested,
    num_synthetic) -> request (one row per unit: the store's units are (seeds x
    generations), here one seed and generation 1)."""
    from ...store import Store

    cells = _cells(generator, reals, synths, n_available)
    base = {"generator": generator, "max_synthetic": max(s for _, s in cells),
            "reals": sorted({min(r, n_available) for r, _ in cells}), "epochs": epochs, "fixed_steps": fixed_steps,
            "n_available": n_available, "subset": "random", "pool_seed": POOL_SEED, "code": _code_digest()}
    return {(seed, design, r, s): Store.request("lm", WORKFLOW, 1, [seed], params,
                                                {**base, "design": design, "num_real": r, "num_synthetic": s})
            for seed in seeds for design in designs for r, s in cells}


def _cells(generator: str, reals: list[int], synths: list[int], n_available: int) -> list[tuple[int, int]]:
    """The cells of a generator's run: every (num_real, num_synthetic) for the pool
    generator; for self-augmentation, those with fewer real examples than exist (where a
    generator fit on the learner's examples differs from one fit on all of them)."""
    cells = [(r, s) for r in reals for s in synths]
    if generator == "subset":
        cells = [(r, s) for r, s in cells if r < n_available]
    return cells


def run_lm_value(lm_params: Mapping[str, Any], *, num_real: Sequence[int], num_synthetic: Sequence[int],
                 seeds: int | Iterable[int], epochs: float = 1.0, fixed_steps: int = 32,
                 designs: str | Sequence[str] = DESIGNS, generators: str | Sequence[str] = GENERATORS,
                 n_available: int = 0, cache_dir: str | os.PathLike[str] | None = None,
                 progress: bool = False, stored_only: bool = False) -> pd.DataFrame | None:
    """Run the language-model experiment over the grid ``num_real x num_synthetic``, for each
    generator and each design of the learner; one row per (generator, design, seed, cell).

    ``lm_params``: parameters of the language-model setting (``lm_model``, ``lm_dataset``,
    ``n_test``, ``batch_size``, ``lr``, ``max_len``, ``threads``, ``device``...; defaults for
    the rest, the base of chapter *Language models*), except ``steps``, ``epochs``, ``n``
    and ``n_show``, which the experiment sets. ``epochs``: passes of the ``"epochs"``
    design; ``fixed_steps``: steps of the ``"fixed-steps"`` design and of every generator.
    ``n_available``: the real examples that exist (0: the whole fine-tuning pool); a larger
    ``num_real`` is capped at it. ``cache_dir``: a result-store folder (None: no store);
    ``stored_only``: read the store, compute nothing, and return None unless every unit is
    there (``n_available`` must then be given).

    Columns: :data:`COLUMNS` (``generator_acceptance`` and ``generator_sample_seconds``:
    NaN without synthetic data). ``attrs``: ``computed`` and ``cached`` (the (generator,
    seed) grids computed by this call and read from the store), ``capped``, ``seconds``.
    """
    from ...registry import fingerprint
    from ...store import Store
    from ...value import CappedWarning, run_value

    params, seed_list, reals, synths, epochs, fixed_steps, design_list, n_available, gen_list = check_arguments(
        lm_params, num_real, num_synthetic, seeds, epochs=epochs, fixed_steps=fixed_steps, designs=designs,
        n_available=n_available, generators=generators)
    started = time.perf_counter()
    if stored_only and (cache_dir is None or n_available == 0):
        return None
    memo: dict[Any, dict[str, float]] = {}
    tasks: dict[int, MixingTask] = {}

    def task(steps: int) -> MixingTask:
        if steps not in tasks:
            tasks[steps] = MixingTask(params, steps, memo)
        return tasks[steps]

    if n_available == 0:
        n_available = len(task(fixed_steps).task.pool)
    elif not stored_only:
        pool = len(task(fixed_steps).task.pool)
        if n_available > pool:
            raise ParameterError(f"parameter 'n_available'={n_available} exceeds the {pool} real examples of the "
                                 "fine-tuning pool (0 takes them all)")
    store = Store(cache_dir) if cache_dir is not None else None
    code = fingerprint("lm") if store is not None else ""
    frames: list[pd.DataFrame] = []
    computed = cached = 0
    for generator in gen_list:
        cells = _cells(generator, reals, synths, n_available)
        if not cells:
            continue
        requests = _requests(params, seed_list, reals, synths, epochs=epochs, fixed_steps=fixed_steps,
                             designs=design_list, n_available=n_available, generator=generator)
        found = _read_stored(store, requests, code)
        missing = [s for s in seed_list if any((s, *k[1:]) not in found for k in requests if k[0] == s)]
        if missing and stored_only:
            return None
        if missing:
            clock = time.perf_counter()
            learners = {d: (lambda steps=(fixed_steps if d == "fixed-steps" else 0): task(steps)) for d in design_list}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CappedWarning)  # warned once below, for the whole frame
                frame = run_value(lambda: task(fixed_steps), cells, seeds=missing, n_available=n_available,
                                  generator=generator, subset="random", pool_seed=POOL_SEED, setting="lm",
                                  learners=learners, progress=progress)
            frame = _tidy(frame)
            seconds = (time.perf_counter() - clock) / len(frame)
            for _, row in frame.iterrows():
                key = (int(row["seed"]), row["design"], int(row["num_real_requested"]), int(row["num_synthetic"]))
                part = pd.DataFrame([row]).reset_index(drop=True)
                if store is not None:
                    store.write(requests[key], code, part.assign(generation=1), seconds)
                found[key] = part
        computed += len(missing)
        cached += len(seed_list) - len(missing)
        frames.extend(found[key] for key in requests)
    out = _ordered(pd.concat(frames, ignore_index=True))
    capped = sorted({int(r) for r in out.loc[out["capped"], "num_real_requested"]})
    if capped and not stored_only:
        warnings.warn(f"num_real {capped} exceed the {n_available} real examples that exist; capped at "
                      f"{n_available} (column 'capped')", CappedWarning, stacklevel=2)
    out.attrs.update(computed=computed, cached=cached, capped=capped, seconds=time.perf_counter() - started)
    return out


def _read_stored(store: Any, requests: Mapping[tuple[int, str, int, int], Any],
                 code: str) -> dict[tuple[int, str, int, int], pd.DataFrame]:
    """The units of ``requests`` the store holds for ``code`` (none without a store)."""
    found: dict[tuple[int, str, int, int], pd.DataFrame] = {}
    if store is None:
        return found
    for key, request in requests.items():
        frame = store.read(request, code)
        if frame is not None:
            found[key] = frame.drop(columns=["generation"])
    return found


def _ordered(out: pd.DataFrame) -> pd.DataFrame:
    """Rows in the order of :data:`GENERATORS`, :data:`DESIGNS`, then seed."""
    order = {**{g: i for i, g in enumerate(GENERATORS)}, **{d: i for i, d in enumerate(DESIGNS)}}
    return out.sort_values(["generator", "design", "seed"], key=lambda c: c.map(order) if c.name != "seed" else c,
                           kind="stable").reset_index(drop=True)


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """The experiment's frame with :data:`COLUMNS`, in order (NaN where a column is missing)."""
    for col in COLUMNS:
        if col not in frame.columns:
            frame[col] = math.nan
    return frame[list(COLUMNS)]


def stored_lm_value(values: Mapping[str, Any], cache_dir: str | os.PathLike[str] | None) -> pd.DataFrame | None:
    """The language-model grid of chapter *The value of synthetic data*, read from the result
    store only: the frame :func:`run_lm_value` returned to the chapter (its columns:
    :data:`COLUMNS`), or None when any of its units is not stored for the current code.
    ``values``: the chapter's parameter values (:func:`collapse_lib.chapters.chapter_values`).
    Computes nothing and loads no model."""
    lm_params, args = chapter_arguments(values)
    if not args["n_available"]:
        return None  # the whole pool: its size is known only once the data are tokenized
    return run_lm_value(lm_params, **args, cache_dir=cache_dir, stored_only=True)


# --- analysis ------------------------------------------------------------------------------

def _used(frame: pd.DataFrame) -> pd.DataFrame:
    """Each (generator, design, seed, cell) once (a capped request repeats its cell)."""
    return frame.drop_duplicates(["generator", "design", "seed", "num_real", "num_synthetic"])


def summarise_cells(frame: pd.DataFrame, metric: str = "test_loss") -> pd.DataFrame:
    """Mean over seeds of ``metric`` per (generator, design, num_real, num_synthetic), with its
    95% Student-t interval (``low``, ``high``; :func:`collapse_lib.stats.mean_interval`) and
    the number of seeds."""
    from ...stats import mean_interval

    rows = []
    for (gen, design, r, s), part in _used(frame).groupby(["generator", "design", "num_real", "num_synthetic"],
                                                          sort=False):
        iv = mean_interval(part[metric], method="t")
        rows.append({"generator": gen, "design": design, "num_real": int(r), "num_synthetic": int(s),
                     "mean": iv.centre, "low": iv.low, "high": iv.high, "seeds": iv.n, "interval": iv})
    order = {**{g: i for i, g in enumerate(GENERATORS)}, **{d: i for i, d in enumerate(DESIGNS)}}
    return pd.DataFrame(rows).sort_values(["generator", "design", "num_real", "num_synthetic"], kind="stable",
                                          key=lambda c: c.map(order) if c.name in ("generator", "design") else c
                                          ).reset_index(drop=True)


def paired_changes(frame: pd.DataFrame, metric: str = "test_loss") -> pd.DataFrame:
    """Change of ``metric`` from adding synthetic data, paired within a seed (the same real
    examples with and without them): per (generator, design, num_real, num_synthetic > 0)
    the mean change against ``num_synthetic = 0`` with its 95% Student-t interval
    (:func:`collapse_lib.stats.paired_difference`: ``change``, ``low``, ``high``), the
    relative change in percent of the loss without synthetic data (``relative``, its
    interval ``relative_low``/``relative_high``), and ``verdict``: ``"helps"`` (interval
    below 0), ``"hurts"`` (above 0) or ``"unclear"``."""
    from ...stats import paired_difference

    used = _used(frame)
    if not (used["num_synthetic"] == 0).any():
        raise ParameterError("paired_changes needs cells with num_synthetic = 0 as the baseline")
    rows = []
    for (gen, design, r), part in used.groupby(["generator", "design", "num_real"], sort=False):
        base = part[part["num_synthetic"] == 0].set_index("seed")[metric]
        if base.empty:
            continue
        for s, cell in part[part["num_synthetic"] > 0].groupby("num_synthetic"):
            mixed = cell.set_index("seed")[metric].reindex(base.index)
            iv = paired_difference(mixed.to_numpy(), base.to_numpy(), method="t")
            scale = 100.0 / float(base.mean())
            verdict = ("helps" if iv.high < 0 else "hurts" if iv.low > 0 else "unclear") if iv.finite else "unclear"
            rows.append({"generator": gen, "design": design, "num_real": int(r), "num_synthetic": int(s),
                         "change": iv.centre, "low": iv.low, "high": iv.high, "relative": scale * iv.centre,
                         "relative_low": scale * iv.low, "relative_high": scale * iv.high, "verdict": verdict,
                         "seeds": iv.n})
    return pd.DataFrame(rows)


def nearest(values: Iterable[int], target: float) -> int:
    """The value closest to ``target`` on a log scale (the grid's stand-in for a paper cell)."""
    vals = sorted({int(v) for v in values if int(v) > 0})
    if not vals:
        raise ParameterError("no positive value to choose from")
    return min(vals, key=lambda v: (abs(math.log(v) - math.log(target)), v))


def grid_table(frame: pd.DataFrame, generator: str = "pool", metric: str = "test_loss", digits: int = 3
               ) -> pd.DataFrame:
    """One generator's grid as a table of text, one row per (num_real, num_synthetic),
    labelled ``"num_real + num_synthetic"``: for each design the mean loss over seeds and
    the paired change from adding the synthetic data, each with its 95% Student-t interval
    ("—" for the baseline without synthetic data)."""
    from ...stats import Interval

    part = frame[frame["generator"] == generator]
    cells = summarise_cells(part, metric)
    changes = paired_changes(part, metric).set_index(["design", "num_real", "num_synthetic"])
    out: dict[tuple[str, str], dict[tuple[int, int], str]] = {}
    for design in [d for d in DESIGNS if d in set(cells["design"])]:
        label = "fixed epochs" if design == "epochs" else "fixed steps"
        loss, change = {}, {}
        for row in cells[cells["design"] == design].itertuples():
            key = (row.num_real, row.num_synthetic)
            loss[key] = row.interval.text(digits)
            if row.num_synthetic == 0:
                change[key] = "—"
            else:
                c = changes.loc[(design, *key)]
                change[key] = _signed(Interval(c["change"], c["low"], c["high"], int(c["seeds"]), "t"), digits)
        out[(label, "test loss")] = loss
        out[(label, "change")] = change
    table = pd.DataFrame(out)
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    table.index = pd.Index([f"{r:,} + {s:,}" for r, s in table.index], name="real + synthetic")
    return table


def _signed(iv: Any, digits: int) -> str:
    """``+0.012 [−0.004, +0.028]``: an interval of a change, signs shown."""
    def f(v: float) -> str:
        return f"{v:+.{digits}f}".replace("-", "−")

    if not math.isfinite(iv.centre):
        return "–"
    return f(iv.centre) if not iv.finite else f"{f(iv.centre)} [{f(iv.low)}, {f(iv.high)}]"
