"""The value of synthetic data for the language model (chapter *The value of synthetic data*).

The paper's own experiment, at CPU scale. For each seed and each cell
``(num_real, num_synthetic)``:

1. the real data that exist are the first ``n_available`` examples of the fine-tuning pool
   (a fixed data set, as a real corpus is); the seed draws a random permutation of them, and
   a cell's real examples are the first ``num_real`` of it (random per seed, nested within
   a seed);
2. a **generator** is fine-tuned from the pre-trained base on those ``num_real`` real
   examples and writes ``max(num_synthetic)`` well-formed synthetic examples (temperature 1,
   from BOS alone); a cell takes the first ``num_synthetic`` of them;
3. a **learner** is fine-tuned from the same base on the ``num_real`` real plus the
   ``num_synthetic`` synthetic examples, and scored by its cross-entropy (nats per token)
   on the held-out real test set.

Two designs of the learner's training (``designs``):

* ``"epochs"``: ``epochs`` passes over its training set, so adding synthetic data also adds
  optimiser steps (compute grows with the data, as in a fixed-epoch fine-tuning recipe);
* ``"fixed-steps"``: ``fixed_steps`` optimiser steps whatever the data size (the
  fixed-compute variant): a change in loss then comes from what the examples are, not from
  training longer.

The generator is trained with the fixed-steps recipe (``fixed_steps`` steps), so that even
a few dozen real examples give a model that writes the example format; it is exactly the
fixed-steps learner of the cell ``(num_real, 0)``, trained once. Fits with the same data and
the same number of steps are the same fit and are run once.

The flaws of the authors' analysis are fixed as in :mod:`collapse_lib.value`: a random real
subset per seed (not the first rows), ``num_real`` capped at ``n_available`` in the open
(columns ``num_real_requested``, ``capped``; a :class:`~collapse_lib.value.CappedWarning`),
and regressions of the loss with an intercept (:func:`collapse_lib.value.fit_linear`).

Random streams (one seed's numbers do not depend on the other seeds): the permutation from
``default_rng([seed, 0])``, the generator's samples from ``default_rng([seed, 2, num_real])``,
each fit from ``default_rng([seed, 3, num_real, num_synthetic, steps])``. With a fixed torch
thread count (parameter ``threads``) the numbers are bit-identical from run to run.

Every cell is one unit of the result store (:mod:`collapse_lib.store`), setting ``"lm"``,
workflow ``"value"``: keyed by all the arguments, the language-model code fingerprint and a
digest of this module, so a rebuild reads them back without loading a model, and a change
of code or arguments recomputes them.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...validation import ParameterError, check_choice, check_float, check_int, check_int_list, check_seeds

__all__ = ["DESIGNS", "DESIGN_LABELS", "WORKFLOW", "TIMING", "cell_steps", "check_arguments", "run_lm_value",
           "summarise_cells", "paired_changes", "grid_table", "nearest"]

#: The two designs of the learner's training (see the module docstring).
DESIGNS: tuple[str, ...] = ("epochs", "fixed-steps")
#: How the chapter names them.
DESIGN_LABELS: dict[str, str] = {"epochs": "fixed epochs (steps grow with the data)",
                                 "fixed-steps": "fixed steps (same compute)"}
#: The store's workflow name for one cell of this experiment.
WORKFLOW = "value"

#: Language-model parameters this experiment sets itself (per design and cell).
_OWN = ("steps", "epochs", "n", "n_show")
#: Columns that measure time, not results (differ from run to run).
TIMING = ("fit_seconds", "eval_seconds", "sample_seconds")


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


def _code_digest() -> str:
    from ...registry import source_digest

    return source_digest([__name__])


def check_arguments(lm_params: Mapping[str, Any], num_real: Any, num_synthetic: Any, seeds: Any, epochs: Any,
                    fixed_steps: Any, designs: Any = DESIGNS, n_available: Any = 0
                    ) -> tuple[dict[str, Any], list[int], list[int], list[int], float, int, list[str], int]:
    """The arguments of :func:`run_lm_value`, checked (a bad one raises naming it) and
    normalised: (language-model parameters with the defaults filled in, seeds, num_real,
    num_synthetic, epochs, fixed_steps, designs, n_available). Loads no model."""
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
    epochs = check_float("epochs", epochs, minimum=0.0, strict_minimum=True)
    fixed_steps = check_int("fixed_steps", fixed_steps, minimum=1)
    if isinstance(designs, str):
        designs = [designs]
    design_list = [check_choice("designs", d, DESIGNS) for d in designs]
    if not design_list:
        raise ParameterError(f"parameter 'designs' must name at least one of {', '.join(DESIGNS)}")
    design_list = list(dict.fromkeys(design_list))
    n_available = check_int("n_available", n_available, minimum=0)
    # n = 1: the experiment draws its own real examples (the task's check of n is moot)
    params = check_params({**lm_params, "n": 1, "n_show": 0, "steps": fixed_steps, "epochs": epochs})
    return params, seed_list, reals, synths, epochs, fixed_steps, design_list, n_available


def run_lm_value(lm_params: Mapping[str, Any], *, num_real: Sequence[int], num_synthetic: Sequence[int],
                 seeds: int | Iterable[int], epochs: float = 1.0, fixed_steps: int = 32,
                 designs: str | Sequence[str] = DESIGNS, n_available: int = 0,
                 cache_dir: str | os.PathLike[str] | None = None, progress: bool = False) -> pd.DataFrame:
    """Run the language-model experiment over the grid ``num_real x num_synthetic``; one row
    per (design, seed, cell), in that order.

    ``lm_params``: parameters of the language-model setting (``lm_model``, ``lm_dataset``,
    ``n_test``, ``batch_size``, ``lr``, ``threads``, ``device``...; defaults for the rest, the
    base of chapter *Language models*), except ``steps``, ``epochs``, ``n`` and ``n_show``,
    which the experiment sets. ``epochs``: passes of the ``"epochs"`` design;
    ``fixed_steps``: steps of the ``"fixed-steps"`` design and of every generator.
    ``n_available``: the real examples that exist (0: the whole fine-tuning pool); a larger
    ``num_real`` is capped at it. ``cache_dir``: a result-store folder (None: no store).

    Columns: setting, workflow, design, seed, generation (always 1), n_available,
    num_real_requested, num_real, capped, num_synthetic, total, real_proportion, steps,
    tokens_seen, test_loss, train_loss, generator_acceptance (NaN without synthetic data),
    fit_seconds, eval_seconds, sample_seconds. ``attrs``: ``computed`` and ``cached`` (cells
    computed by this call and read from the store), ``capped``, ``seconds``.
    """
    from ...registry import fingerprint
    from ...store import Store
    from ...value import CappedWarning

    params, seed_list, reals, synths, epochs, fixed_steps, design_list, n_available = check_arguments(
        lm_params, num_real, num_synthetic, seeds, epochs, fixed_steps, designs, n_available)
    started = time.perf_counter()
    store = Store(cache_dir) if cache_dir is not None else None
    code = fingerprint("lm") if store is not None else ""
    max_syn = max(synths)
    base_options = {"max_synthetic": max_syn, "fixed_steps": fixed_steps, "n_available": n_available,
                    "subset": "random", "code": _code_digest() if store is not None else ""}
    cells = [(d, r, s) for d in design_list for r in reals for s in synths]

    def request(design: str, seed: int, r: int, s: int) -> dict[str, Any]:
        return Store.request("lm", WORKFLOW, 1, [seed], params,
                             {**base_options, "design": design, "num_real": r, "num_synthetic": s})

    runner = _Runner(params, fixed_steps=fixed_steps, epochs=epochs, max_syn=max_syn,
                     n_available=n_available, progress=progress)
    frames: list[pd.DataFrame] = []
    computed = cached = 0
    for seed in seed_list:
        found: dict[tuple[str, int, int], pd.DataFrame] = {}
        if store is not None:
            for cell in cells:
                frame = store.read(request(seed=seed, design=cell[0], r=cell[1], s=cell[2]), code)
                if frame is not None:
                    found[cell] = frame
        missing = [c for c in cells if c not in found]
        if missing:
            for cell, row, seconds in runner.run_seed(seed, missing):
                frame = pd.DataFrame([row])
                if store is not None:
                    store.write(request(seed=seed, design=cell[0], r=cell[1], s=cell[2]), code, frame, seconds)
                found[cell] = frame
        computed += len(missing)
        cached += len(cells) - len(missing)
        frames.extend(found[c] for c in cells)
    out = pd.concat(frames, ignore_index=True)
    order = {d: i for i, d in enumerate(design_list)}
    out = out.sort_values(["design", "seed"], key=lambda c: c.map(order) if c.name == "design" else c,
                          kind="stable").reset_index(drop=True)
    capped = sorted({int(r) for r in out.loc[out["capped"], "num_real_requested"]})
    if capped:
        have = int(out["n_available"].iloc[0])
        warnings.warn(f"num_real {capped} exceed the {have} real examples that exist; capped at {have} "
                      "(column 'capped')", CappedWarning, stacklevel=2)
    out.attrs.update(computed=computed, cached=cached, capped=capped, seconds=time.perf_counter() - started)
    return out


class _Runner:
    """The computation of one seed's missing cells (tasks built on first use)."""

    def __init__(self, params: dict[str, Any], *, fixed_steps: int, epochs: float, max_syn: int,
                 n_available: int, progress: bool) -> None:
        self.params, self.fixed_steps, self.epochs = params, fixed_steps, epochs
        self.max_syn, self.n_available_param, self.progress = max_syn, n_available, progress
        self.tasks: dict[int, Any] = {}

    def task(self, steps: int) -> Any:
        """An :class:`~collapse_lib.settings.lm.task.LMTask` whose fits run ``steps`` steps (the
        base model and the tokenized real data are shared by all of them)."""
        if steps not in self.tasks:
            from .task import LMTask

            self.tasks[steps] = LMTask({**self.params, "steps": steps})
        return self.tasks[steps]

    def n_available(self) -> int:
        pool = len(self.task(self.fixed_steps).pool)
        if self.n_available_param > pool:
            raise ParameterError(f"parameter 'n_available'={self.n_available_param} exceeds the {pool} real "
                                 "examples of the fine-tuning pool (0 takes them all)")
        return self.n_available_param or pool

    def run_seed(self, seed: int, cells: list[tuple[str, int, int]]
                 ) -> Iterable[tuple[tuple[str, int, int], dict[str, Any], float]]:
        from tqdm import tqdm

        from .task import Example

        have = self.n_available()
        pool = self.task(self.fixed_steps).pool
        order = np.random.default_rng([seed, 0]).permutation(have)
        batch = self.params["batch_size"]
        fits: dict[tuple[int, int, int], dict[str, Any]] = {}
        bar = tqdm(total=len(cells), desc=f"value lm seed {seed}", disable=not self.progress, leave=False)

        def fit(r: int, s: int, steps: int, synth: list[Any], keep: bool = False) -> tuple[dict[str, Any], Any]:
            key = (r, s, steps)
            if key in fits and not keep:
                return fits[key], None
            task = self.task(steps)
            data = [Example(pool[i], True) for i in order[:r]] + list(synth[:s])
            model = task.fit(data, np.random.default_rng([seed, 3, r, s, steps]))
            row = task.evaluate(model)
            # the steps the fine-tuning reports it ran (the same as asked: train_steps runs `steps` when > 0)
            done = int(row.get("fit_steps") or steps)
            fits[key] = {"steps": done, "tokens_seen": int(row["tokens_seen"]), "test_loss": float(row["test_loss"]),
                         "train_loss": float(row["train_loss"]), "fit_seconds": float(row["fit_seconds"]),
                         "eval_seconds": float(row["eval_seconds"])}
            return fits[key], (task, model)

        by_real: dict[int, list[tuple[str, int, int]]] = {}
        for cell in cells:
            by_real.setdefault(min(cell[1], have), []).append(cell)
        for r, todo in sorted(by_real.items()):
            synth: list[Any] = []
            gen: dict[str, float] = {"generator_acceptance": math.nan, "sample_seconds": math.nan}
            if any(s > 0 for _, _, s in todo):
                # the generator: the fixed-steps learner of (r, 0), then its samples
                _, (task, model) = fit(r, 0, self.fixed_steps, [], keep=True)
                synth = task.sample(model, self.max_syn, np.random.default_rng([seed, 2, r]))
                gen = {"generator_acceptance": float(task.log[-1]["acceptance_rate"]),
                       "sample_seconds": float(task.log[-1]["sample_seconds"])}
                del model
            for design, req, s in todo:
                steps = cell_steps(design, r + s, epochs=self.epochs, fixed_steps=self.fixed_steps,
                                   batch_size=batch)
                clock = time.perf_counter()
                result, _ = fit(r, s, steps, synth)
                row = {"setting": "lm", "workflow": WORKFLOW, "design": design, "seed": seed, "generation": 1,
                       "n_available": have, "num_real_requested": req, "num_real": r, "capped": req > r,
                       "num_synthetic": s, "total": r + s, "real_proportion": r / (r + s), **result,
                       **(gen if s > 0 else {"generator_acceptance": math.nan, "sample_seconds": math.nan})}
                bar.update()
                yield (design, req, s), row, time.perf_counter() - clock
        bar.close()


# --- analysis ------------------------------------------------------------------------------

def summarise_cells(frame: pd.DataFrame, metric: str = "test_loss") -> pd.DataFrame:
    """Mean over seeds of ``metric`` per (design, num_real, num_synthetic), with the 95%
    Student-t interval (``ci95``, half-width) and the number of seeds. A capped request
    repeats its cell: each cell is counted once."""
    from ...value import t_half

    used = frame.drop_duplicates(["design", "seed", "num_real", "num_synthetic"])
    rows = []
    for (design, r, s), part in used.groupby(["design", "num_real", "num_synthetic"], sort=False):
        rows.append({"design": design, "num_real": int(r), "num_synthetic": int(s),
                     "mean": float(part[metric].mean()), "ci95": t_half(part[metric]), "seeds": len(part)})
    return pd.DataFrame(rows).sort_values(["design", "num_real", "num_synthetic"], kind="stable",
                                          key=lambda c: c.map({d: i for i, d in enumerate(DESIGNS)})
                                          if c.name == "design" else c).reset_index(drop=True)


def paired_changes(frame: pd.DataFrame, metric: str = "test_loss") -> pd.DataFrame:
    """Change of ``metric`` from adding synthetic data, paired within a seed (the same real
    examples with and without them): per (design, num_real, num_synthetic > 0) the mean
    change against ``num_synthetic = 0``, its 95% Student-t interval ``ci95`` (half-width),
    the relative change in percent of the loss without synthetic data, and ``verdict``:
    ``"helps"`` (interval below 0), ``"hurts"`` (above 0) or ``"unclear"``."""
    from ...value import t_half

    used = frame.drop_duplicates(["design", "seed", "num_real", "num_synthetic"])
    if not (used["num_synthetic"] == 0).any():
        raise ParameterError("paired_changes needs cells with num_synthetic = 0 as the baseline")
    rows = []
    for (design, r), part in used.groupby(["design", "num_real"], sort=False):
        base = part[part["num_synthetic"] == 0].set_index("seed")[metric]
        if base.empty:
            continue
        for s, cell in part[part["num_synthetic"] > 0].groupby("num_synthetic"):
            diff = (cell.set_index("seed")[metric] - base).dropna()
            mean, half = float(diff.mean()), t_half(diff)
            verdict = ("helps" if mean + half < 0 else "hurts" if mean - half > 0 else "unclear") \
                if not math.isnan(half) else "unclear"
            rows.append({"design": design, "num_real": int(r), "num_synthetic": int(s), "change": mean,
                         "ci95": half, "relative": 100.0 * mean / float(base.mean()), "verdict": verdict,
                         "seeds": len(diff)})
    return pd.DataFrame(rows)


def nearest(values: Iterable[int], target: float) -> int:
    """The value closest to ``target`` on a log scale (the grid's stand-in for a paper cell)."""
    vals = sorted({int(v) for v in values if int(v) > 0})
    if not vals:
        raise ParameterError("no positive value to choose from")
    return min(vals, key=lambda v: (abs(math.log(v) - math.log(target)), v))


def grid_table(frame: pd.DataFrame, metric: str = "test_loss", digits: int = 3) -> pd.DataFrame:
    """The grid as a table of text, one row per (num_real, num_synthetic), labelled
    ``"num_real + num_synthetic"``: for each design
    the mean loss over seeds and the paired change from adding the synthetic data, each ±
    the half-width of its 95% Student-t interval ("—" for the baseline without synthetic
    data)."""
    from ...value import pm_text

    cells = summarise_cells(frame, metric)
    changes = paired_changes(frame, metric).set_index(["design", "num_real", "num_synthetic"])
    out: dict[tuple[str, str], dict[tuple[int, int], str]] = {}
    for design in [d for d in DESIGNS if d in set(cells["design"])]:
        label = "fixed epochs" if design == "epochs" else "fixed steps"
        loss, change = {}, {}
        for row in cells[cells["design"] == design].itertuples():
            key = (row.num_real, row.num_synthetic)
            loss[key] = pm_text(row.mean, row.ci95, digits)
            change[key] = "—" if row.num_synthetic == 0 else pm_text(
                changes.loc[(design, *key), "change"], changes.loc[(design, *key), "ci95"], digits, signed=True)
        out[(label, "test loss")] = loss
        out[(label, "change")] = change
    table = pd.DataFrame(out)
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    table.index = pd.Index([f"{r:,} + {s:,}" for r, s in table.index], name="real + synthetic")
    return table
