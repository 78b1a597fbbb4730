"""Every setting side by side, and what each workflow pays (chapters *Accumulate-Subsample:
the fixed-compute compromise* and *Accumulate: a sum that converges*).

* :func:`run_comparison` runs the three workflows of each setting through
  :func:`~collapse_lib.simulate.run_grid` and puts every metric on one scale, relative to the
  first fit (generation 1, the fit on the real data alone): a ratio for errors that start
  near zero (mean error, test MSE, entropy deficit), a difference for a negative
  log-likelihood, which does not start near zero (:data:`DEFAULT_SPECS`).
* :func:`headline_specs` lists every registered setting's headline metric
  (:class:`collapse_lib.claims.Headline`) as a :class:`SettingSpec`: the cross-setting pages
  compare settings from the registry, never by name.
* :func:`plateau_levels` measures the level where Accumulate-Subsample settles: the mean over
  the last generations, with a 95% interval over seeds (:mod:`collapse_lib.stats`). No
  closed form is known for it; the measurement is empirical.
* :func:`compute_accounting` counts the examples each workflow trains on per generation and in
  total: Replace n, Accumulate t n, Accumulate-Subsample n.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import stats
from .grid import run_grid
from .validation import ParameterError, check_choice, check_int, check_seeds
from .workflows import WORKFLOWS, check_workflow

__all__ = ["NORMALISATIONS", "SettingSpec", "headline_specs", "entropy_deficit", "run_comparison", "normalise",
           "plateau_levels", "compute_accounting"]

NORMALISATIONS: tuple[str, ...] = ("ratio", "excess")

def entropy_deficit(frame: pd.DataFrame) -> pd.Series:
    """1 - H(p_t) / log K = KL(p_t || uniform) / log K: the discrete fit's divergence from the
    uniform truth, in units of log K (0 at the truth, 1 once one outcome remains)."""
    return 1.0 - frame["normalised_entropy"]


@dataclass(frozen=True)
class SettingSpec:
    """One setting in the comparison: which metric, at which parameters, normalised how.

    ``metric`` is a column of :func:`~collapse_lib.simulate.simulate`'s output, or the name
    of a column that ``derive(frame)`` computes. ``normalise``: ``"ratio"`` (value / mean
    value at generation 1) or ``"excess"`` (value minus the same seed's value at generation 1).
    """

    setting: str
    metric: str
    params: Mapping[str, Any]
    normalise: str
    label: str
    derive: Callable[[pd.DataFrame], pd.Series] | None = None
    unit: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_choice("normalise", self.normalise, NORMALISATIONS)


def headline_specs(n: int, params_file: str = "") -> list[SettingSpec]:
    """One :class:`SettingSpec` per registered setting with a headline
    (:class:`collapse_lib.claims.Headline`), at ``n`` samples per generation: the headline's
    cell of the setting chapter's grid, with the chapter's fixed parameters, as the chapter
    ran it (``params_file``: the parameter file the book was built with)."""
    from .chapters import chapter_values
    from .claims import settings_with

    specs = []
    for name, module in settings_with("HEADLINE"):
        if module.CHAPTER.expensive:
            continue  # minutes per run: read from its own chapter instead
        values = chapter_values(module.CHAPTER.chapter, params_file)
        head = module.HEADLINE
        cell = {**{k: values[v] for k, v in module.CHAPTER.fixed.items()}, **head.cell(values), "n": int(n)}
        label = f"{module.CHAPTER.title}: {head.label.split(': ', 1)[-1]}"
        specs.append(SettingSpec(name, head.metric, cell, head.normalise, label, derive=head.derive,
                                 unit=head.unit))
    return specs


def _cell_label(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


def normalise(frame: pd.DataFrame, how: str, *, by: Sequence[str] = ("setting", "cell")) -> pd.Series:
    """``frame.value`` relative to generation 1, within each group of ``by``.

    ``"ratio"``: value / (mean over seeds and workflows of the generation-1 value); dividing
    every seed by the same number keeps the mean of the result the ratio of means, and stays
    finite where one seed's first fit happens to be nearly exact. ``"excess"``: value minus
    the same seed's generation-1 value (a paired difference). Every workflow's generation 1 is
    the same fit on the same real data (:func:`~collapse_lib.workflows.seed_rngs`).
    """
    check_choice("how", how, NORMALISATIONS)
    by = list(by)
    first = frame[frame["generation"] == 1]
    if first.empty:
        raise ParameterError("normalise needs generation 1 in the frame")
    if how == "ratio":
        base = first.groupby(by)["value"].mean().rename("_base")
        merged = frame.join(base, on=by)
        return merged["value"] / merged["_base"]
    keys = by + ["workflow", "seed"]
    base = first.set_index(keys)["value"].rename("_base")
    merged = frame.join(base, on=keys)
    return merged["value"] - merged["_base"]


def run_comparison(specs: Iterable[SettingSpec], *, n_generations: int,
                   seeds: int | Iterable[int], workflows: Sequence[str] = WORKFLOWS,
                   cache_dir: str | Path | None = None, progress: bool = False, workers: int = 1,
                   scheduler: Any = None) -> pd.DataFrame:
    """Run every spec's three workflows; return one long frame for all settings.

    Columns: setting, label, cell (the parameters as text), workflow, seed, generation,
    metric, value, normalisation, normalised (see :func:`normalise`).
    """
    n_generations = check_int("n_generations", n_generations, minimum=2)
    seed_list = check_seeds(seeds)
    workflows = [check_workflow(w) for w in workflows]
    parts = []
    for spec in specs:
        raw = run_grid(spec.setting, workflows=workflows, grid={}, fixed=dict(spec.params),
                       n_generations=n_generations, seeds=seed_list, cache_dir=cache_dir,
                       progress=progress, workers=workers, scheduler=scheduler)
        value = spec.derive(raw) if spec.derive is not None else raw[spec.metric]
        part = pd.DataFrame({
            "setting": spec.setting, "label": spec.label, "cell": _cell_label(spec.params),
            "workflow": raw["workflow"].to_numpy(), "seed": raw["seed"].to_numpy(),
            "generation": raw["generation"].to_numpy(), "metric": spec.metric,
            "value": np.asarray(value, dtype=float), "normalisation": spec.normalise,
        })
        part["normalised"] = normalise(part, spec.normalise).to_numpy()
        parts.append(part)
    if not parts:
        raise ParameterError("parameter 'specs' must name at least one setting")
    return pd.concat(parts, ignore_index=True)


def plateau_levels(frame: pd.DataFrame, *, last: int, value: str = "normalised",
                   by: Sequence[str] = ("setting", "label", "workflow"), at: int = 10) -> pd.DataFrame:
    """The level each curve settles at: the mean of ``value`` over its last ``last`` generations.

    Each seed is first averaged over the window, then the seeds are averaged: ``level`` with
    its 95% interval ``low``/``high`` (Student's t over seeds, :mod:`collapse_lib.stats`;
    ``half`` is its half-width). ``at_value`` is the mean at generation ``at_generation`` =
    min(``at``, T) (default 10: where the paper says Accumulate-Subsample has plateaued),
    for comparison; ``first_generation`` is the window's start.
    """
    last = check_int("last", last, minimum=1)
    at = check_int("at", at, minimum=1)
    by = list(by)
    rows = []
    for key, part in frame.groupby(by, sort=False):
        T = int(part["generation"].max())
        if last > T:
            raise ParameterError(f"parameter 'last'={last} exceeds the {T} generations of the run")
        window = part[part["generation"] > T - last]
        per_seed = window.groupby("seed")[value].mean()
        at_t = min(at, T)
        at_value = part.loc[part["generation"] == at_t, value]
        iv = stats.mean_interval(per_seed.to_numpy(), method="t")
        rows.append({**dict(zip(by, key if isinstance(key, tuple) else (key,))),
                     "level": iv.centre, "low": iv.low, "high": iv.high, "half": iv.half,
                     "at_generation": at_t, "at_value": float(at_value.mean()) if len(at_value) else math.nan,
                     "first_generation": T - last + 1, "last_generation": T, "seeds": len(per_seed)})
    return pd.DataFrame(rows)


def compute_accounting(n: int, n_generations: int, *, workflows: Sequence[str] = WORKFLOWS,
                       per_example: float = 1.0) -> pd.DataFrame:
    """Examples (or tokens, with ``per_example`` tokens per example) trained on, by workflow.

    Per generation t: Replace n, Accumulate t n, Accumulate-Subsample n. Cumulative to t:
    n t, n t (t + 1) / 2, n t. One row per (workflow, generation); columns ``per_generation``,
    ``cumulative`` and ``relative`` (cumulative over Replace's cumulative).
    """
    n = check_int("n", n, minimum=1)
    T = check_int("n_generations", n_generations, minimum=1)
    if not (per_example > 0 and math.isfinite(per_example)):
        raise ParameterError(f"parameter 'per_example' must be a finite number > 0; got {per_example!r}")
    t = np.arange(1, T + 1)
    rows = []
    for wf in workflows:
        wf = check_workflow(wf)
        per = (t * n if wf == "accumulate" else np.full(T, n)).astype(float) * per_example
        rows.append(pd.DataFrame({"workflow": wf, "generation": t, "per_generation": per,
                                  "cumulative": np.cumsum(per), "relative": np.cumsum(per) / (n * t * per_example)}))
    return pd.concat(rows, ignore_index=True)
