"""Every setting side by side, and what each workflow pays (chapters *Accumulate-Subsample:
the fixed-compute compromise* and *Accumulate: a sum that converges*).

* :func:`headline_specs` lists every registered setting's headline metric
  (:class:`collapse_lib.claims.Headline`) as a :class:`SettingSpec`: the cross-setting pages
  compare settings from the registry, never by name.
* :func:`run_comparison` runs the three workflows of each spec through
  :func:`~collapse_lib.grid.run_grid` and puts every metric on one scale, relative to the
  first fit (generation 1, the fit on the real data alone): a ratio for errors that start
  near zero (mean error, test MSE, entropy deficit), a difference for a negative
  log-likelihood, which does not start near zero (:func:`normalise`).
* :func:`reference_claims` sets the settings' reference numbers for the cells compared
  beside this build's, with their verdicts (:func:`collapse_lib.verdicts.compare`).
* :func:`plateau_levels` measures the level where Accumulate-Subsample settles: the mean over
  the last generations, with a 95% interval over seeds (:mod:`collapse_lib.stats`). No
  closed form is known for it; the measurement is empirical.
* :func:`compute_accounting` counts the examples each workflow trains on per generation and in
  total: Replace n, Accumulate t n, Accumulate-Subsample n.
"""

from __future__ import annotations

import math
import warnings
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

__all__ = ["NORMALISATIONS", "SettingSpec", "headline_specs", "run_comparison", "normalise", "reference_claims",
           "plateau_levels", "compute_accounting"]

#: How a metric is put on the common scale (:func:`normalise`).
NORMALISATIONS: tuple[str, ...] = ("ratio", "excess")


@dataclass(frozen=True)
class SettingSpec:
    """One setting in the comparison: which metric, at which parameters, normalised how.

    ``metric`` is a column of :func:`~collapse_lib.simulate.simulate`'s output, or the name
    of a column that ``derive(frame)`` computes. ``normalise``: ``"ratio"`` (value / mean
    value at generation 1) or ``"excess"`` (value minus the same seed's value at generation 1).
    ``where`` names the cell for a figure (without ``n``, which every spec of a comparison
    shares); ``quiet``: warnings silenced while it runs (the setting chapter's, with its
    reason there).
    """

    setting: str
    metric: str
    params: Mapping[str, Any]
    normalise: str
    label: str
    derive: Callable[[pd.DataFrame], pd.Series] | None = None
    unit: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    where: str = ""
    quiet: tuple[type[Warning], ...] = ()

    def __post_init__(self) -> None:
        check_choice("normalise", self.normalise, NORMALISATIONS)


def headline_specs(n: int, params_file: str = "") -> list[SettingSpec]:
    """One :class:`SettingSpec` per registered setting with a headline
    (:class:`collapse_lib.claims.Headline`), at ``n`` samples per generation: the headline's
    cell of the setting chapter's grid, with the chapter's fixed parameters, as the chapter
    ran it (``params_file``: the parameter file the book was built with). A setting that
    cannot run at ``n`` (its parameter check refuses it, e.g. where no fit exists) keeps its
    headline's own ``n``; its spec's ``extra`` then says so (``instead``) and why (``why``).
    Settings whose runs take minutes (the chapter's ``expensive``) are left out."""
    from .chapters import chapter_values
    from .claims import settings_with
    from .registry import check_params

    specs = []
    for name, module in settings_with("HEADLINE"):
        if module.CHAPTER.expensive:
            continue  # minutes per run: read from its own chapter instead
        values = chapter_values(module.CHAPTER.chapter, params_file)
        head = module.HEADLINE
        chosen = head.cell(values)
        own = {**{k: values[v] for k, v in module.CHAPTER.fixed.items()}, **chosen}
        cell, extra = {**own, "n": int(n)}, {}
        try:
            check_params(name, cell)
        except ParameterError as err:  # e.g. no fit exists at this n: the chapter's own cell instead
            check_params(name, own)
            cell, extra = own, {"instead": f"n = {own['n']}", "why": str(err)}
        label = f"{module.CHAPTER.title}: {head.label.split(': ', 1)[-1]}"
        where = ", ".join(f"{k} = {v}" for k, v in chosen.items() if k != "n" or extra)
        specs.append(SettingSpec(name, head.metric, cell, head.normalise, label, derive=head.derive,
                                 unit=head.unit, where=where, quiet=tuple(module.CHAPTER.quiet), extra=extra))
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
    metric, value, normalisation, normalised (see :func:`normalise`), and the runs' own
    columns (the cell's parameters and every metric, with the derived ``metric`` among
    them; empty for the other settings' rows), which :func:`reference_claims` reads.
    """
    n_generations = check_int("n_generations", n_generations, minimum=2)
    seed_list = check_seeds(seeds)
    workflows = [check_workflow(w) for w in workflows]
    parts = []
    for spec in specs:
        with warnings.catch_warnings():
            for category in spec.quiet:
                warnings.simplefilter("ignore", category)
            raw = run_grid(spec.setting, workflows=workflows, grid={}, fixed=dict(spec.params),
                           n_generations=n_generations, seeds=seed_list, cache_dir=cache_dir,
                           progress=progress, workers=workers, scheduler=scheduler)
        value = np.asarray(spec.derive(raw) if spec.derive is not None else raw[spec.metric], dtype=float)
        part = pd.DataFrame({
            "setting": spec.setting, "label": spec.label, "cell": _cell_label(spec.params),
            "workflow": raw["workflow"].to_numpy(), "seed": raw["seed"].to_numpy(),
            "generation": raw["generation"].to_numpy(), "metric": spec.metric,
            "value": value, "normalisation": spec.normalise,
        })
        part["normalised"] = normalise(part, spec.normalise).to_numpy()
        own = raw.drop(columns=[c for c in raw.columns if c in part.columns]).reset_index(drop=True)
        parts.append(pd.concat([part, own.assign(**{spec.metric: value})], axis=1))
    if not parts:
        raise ParameterError("parameter 'specs' must name at least one setting")
    return pd.concat(parts, ignore_index=True)


def reference_claims(frame: pd.DataFrame, specs: Iterable[SettingSpec]) -> pd.DataFrame:
    """Every reference number of the compared settings whose cell :func:`run_comparison` ran,
    beside this build's, with its verdict (chapter *Accumulate-Subsample*, "This run beside
    the paper").

    A setting's references come from its folder (``reference.py``, through the registry);
    one counts where its conditions are those of the spec's cell and its metric is a column
    of the runs. Each row (:data:`collapse_lib.verdicts.ROW_COLUMNS`) is
    :func:`collapse_lib.verdicts.compare`'s: the reference's range and source, this build's
    statistic with its interval at the reference's generation (*not run at this scale* where
    the run is shorter), the closed form where the setting's theory has one
    (:func:`collapse_lib.theory.expected`; for a metric ``<m>_over_first``, in units of the
    first fit's expected error, the closed form of ``<m>`` at t over its value at t = 1),
    and the verdict.
    """
    from .claims import link
    from .registry import part
    from .theory import expected
    from .verdicts import compare, empty_rows

    rows = []
    for spec in specs:
        module = part(spec.setting, "reference")
        runs = frame[frame["setting"] == spec.setting].dropna(axis=1, how="all")
        if module is None or runs.empty:
            continue
        refs = [r for r in module.REFERENCES if r.metric in runs.columns
                and all(k in spec.params and spec.params[k] == v for k, v in r.conditions.items())]
        if not refs:
            continue
        chapter = part(spec.setting, "claims")
        section = link(chapter.CHAPTER) if chapter is not None and hasattr(chapter, "CHAPTER") else ""

        def closed_form(ref: Any, spec: SettingSpec = spec) -> float | None:
            if ref.t is None:
                return None
            params = {**spec.params, **ref.conditions}
            metric = ref.metric.removesuffix(_OVER_FIRST)
            value = expected(spec.setting, metric, ref.workflow, ref.t, **params)
            if value is None:
                return None
            if metric != ref.metric:
                first = expected(spec.setting, metric, ref.workflow, 1, **params)
                value = None if first is None else np.asarray(value, dtype=float) / np.asarray(first, dtype=float)
            return None if value is None else float(np.asarray(value).ravel()[0])

        rows.append(compare(runs, refs, family=spec.setting, setting=spec.setting, section=section,
                            theory=closed_form, metric_label=_metric_label))
    rows = [r for r in rows if not r.empty]
    return pd.concat(rows, ignore_index=True) if rows else empty_rows()


#: The suffix of a metric in units of the first fit's expected error (e.g. the Gaussian's
#: ``mean_sq_error_over_first``).
_OVER_FIRST = "_over_first"


def _metric_label(ref: Any) -> str:
    """A reference's metric as a table names it: its own label, else its column's name in words."""
    if ref.label:
        return ref.label
    words = {"sq": "squared", "nll": "NLL", "mse": "MSE", "kl": "KL", "det": "determinant"}
    base = " ".join(words.get(w, w) for w in ref.metric.removesuffix(_OVER_FIRST).split("_"))
    return f"{base} / first fit" if ref.metric.endswith(_OVER_FIRST) else base


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
