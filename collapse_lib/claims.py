"""The paper's headline claims, recomputed from the chapters' own runs (chapter *Results at a
glance*, and the workflow chapters *Replace* and *Accumulate*).

A chapter's numbers are never copied here: they are recomputed through the library with
the same arguments the chapter used, so that the result store serves the chapter's stored
runs (same arguments and code, same key) and the numbers are the chapter's.

* :func:`chapter_values` reads a chapter's parameters: the literal defaults of its
  ``parameters`` cell, overlaid by its section of a parameter file (``tests/params/smoke.yml``,
  ``params/paper.yml``) when the book was built with one.
* :func:`chapter_runs` runs (or reads from the store) a chapter's grid, or the subset of its
  cells that a claim needs; ``stored_only=True`` only reads (the language model: minutes per
  run, so a page that summarises it must not recompute it).
* One function per family of claims (:func:`gaussian_claims`, :func:`kde_claims`, ...) returns
  the rows of :data:`CLAIM_COLUMNS`: the claim, the paper's value, this build's (with its 95%
  interval, from :func:`collapse_lib.paper.compare`), the theory where one exists, whether
  they agree, and the section of the book that shows it. :func:`all_claims` runs them all.
* :func:`scale_table` sets each chapter's defaults beside the paper's scale
  (``params/paper.yml``), for the page *The scale of this build*.
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .chapters import chapter_comments, chapter_defaults, chapter_values, params_path
from .files import ROOT
from .validation import ParameterError, check_seeds
from .workflows import WORKFLOWS

__all__ = ["chapter_defaults", "chapter_comments", "chapter_values", "workflow_chapter_values", "params_path",
           "chapter_runs", "stored_runs", "CLAIM_COLUMNS", "claim_rows", "gaussian_claims", "kde_claims",
           "linear_regression_claims", "discrete_claims", "lm_claims", "value_claims", "bound_claims",
           "ordering_claims", "all_claims", "agreement_counts", "claims_html", "scale_table", "run_size",
           "SECTIONS", "scale_summary"]

# --- a chapter's parameters (collapse_lib.chapters parses them) ------------------------------

def workflow_chapter_values(params_file: str | Path | None, *, gaussian_d: int, linreg_d: int, kde_dataset: str,
                            kde_h: float) -> dict[str, dict[str, Any]]:
    """The parameters of the setting chapters (Gaussian, regression, discrete, KDE) as the build
    ran them, for a workflow chapter (Replace, Accumulate) that reads their runs.
    The cell it picks in each must be one those chapters ran; else ParameterError naming it."""
    values = {name: chapter_values(name, params_file)
              for name in ("gaussian", "linear_regression", "discrete", "kde")}
    for chapter, key, wanted in (("gaussian", "ds", gaussian_d), ("linear_regression", "ds", linreg_d),
                                 ("kde", "datasets", kde_dataset), ("kde", "bandwidths", kde_h)):
        if wanted not in values[chapter][key]:
            raise ParameterError(f"{wanted!r} is not among the {chapter} chapter's {key} {values[chapter][key]}: "
                                 "pick one of them (this chapter reads that chapter's runs)")
    return values


# --- a chapter's runs, through the result store ---------------------------------------------

#: chapter -> (setting, grid: setting parameter -> chapter list parameter, fixed: setting
#: parameter -> chapter parameter): how each chapter calls :func:`collapse_lib.run_grid`.
GRIDS: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    "gaussian": ("gaussian", {"d": "ds", "n": "ns"}, {"sigma2": "sigma2"}),
    "linear_regression": ("linear_regression", {"d": "ds", "n": "ns", "sigma2": "sigma2s"}, {"n_test": "n_test"}),
    "discrete": ("discrete", {"n": "ns"}, {"k": "k"}),
    "kde": ("kde", {"dataset": "datasets", "h": "bandwidths", "n": "ns"}, {"n_test": "n_test"}),
    "language_models": ("lm", {}, {}),
}


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _grid_arguments(chapter: str, values: Mapping[str, Any], only: Mapping[str, Iterable[Any]] | None
                    ) -> tuple[str, dict[str, list[Any]], dict[str, Any]]:
    if chapter not in GRIDS:
        raise ParameterError(f"chapter {chapter!r} has no grid here; chapters: {', '.join(GRIDS)}")
    setting, grid_names, fixed_names = GRIDS[chapter]
    grid = {k: _as_list(values[v]) for k, v in grid_names.items()}
    fixed = {k: values[v] for k, v in fixed_names.items()}
    if setting == "lm":
        from .registry import check_params, get_setting

        fixed = check_params("lm", {k: v for k, v in values.items() if k in get_setting("lm").params})
    for name, wanted in (only or {}).items():
        if name not in grid:
            raise ParameterError(f"chapter {chapter!r}: 'only' names {name!r}, not a grid parameter "
                                 f"({', '.join(grid) or 'none'})")
        keep = _as_list(list(wanted))
        grid[name] = [v for v in grid[name] if v in keep]
    return setting, grid, fixed


def stored_runs(setting: str, *, grid: Mapping[str, list[Any]], fixed: Mapping[str, Any], n_generations: int,
                seeds: Any, workflows: Sequence[str] = WORKFLOWS, cache_dir: str | Path | None = None
                ) -> pd.DataFrame | None:
    """What :func:`collapse_lib.run_grid` would return with these arguments, read from the
    result store only; None when any unit of it is not stored for the current code."""
    from .grid import SEEDS_PER_TASK, grid_cells
    from .registry import fingerprint, get_setting
    from .simulate import check_run
    from .store import Store

    spec = get_setting(setting)
    chunk = int(spec.extra.get("seeds_per_task", SEEDS_PER_TASK))
    store, code = Store(cache_dir), fingerprint(setting)
    frames = []
    for cell in grid_cells(grid):
        kwargs = {**fixed, **cell}
        options = {k: kwargs.pop(k) for k in ("real_mix", "fresh_real") if k in kwargs}
        for workflow in workflows:
            _, wf, T, seed_list, params, opts = check_run(setting, workflow, n_generations, seeds, **options, **kwargs)
            for i in range(0, len(seed_list), chunk):
                request = Store.request(setting, wf, T, seed_list[i:i + chunk], params, opts)
                frame = store.read(request, code, spec.metrics)
                if frame is None:
                    return None
                frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else None


def chapter_runs(chapter: str, values: Mapping[str, Any], *, only: Mapping[str, Iterable[Any]] | None = None,
                 workflows: Sequence[str] = WORKFLOWS, cache_dir: str | Path | None = None, workers: int = 1,
                 scheduler: Any = None, stored_only: bool = False, progress: bool = False) -> pd.DataFrame | None:
    """The runs of ``chapter`` (its grid, or the cells ``only`` keeps) with the chapter's
    ``values`` (:func:`chapter_values`), exactly as the chapter calls
    :func:`collapse_lib.run_grid`: with ``cache_dir`` the store serves what the chapter stored.

    An empty frame when ``only`` keeps no cell; with ``stored_only``, None unless every unit
    is stored (nothing is computed).
    """
    from .grid import run_grid

    setting, grid, fixed = _grid_arguments(chapter, values, only)
    if any(not v for v in grid.values()):
        return pd.DataFrame()
    T, seeds = int(values["n_generations"]), check_seeds(values["seeds"])
    with warnings.catch_warnings():
        from .settings.gaussian import SingularCovarianceWarning

        warnings.simplefilter("ignore", SingularCovarianceWarning)  # n <= d: only the determinant is undefined
        if stored_only:
            if cache_dir is None:
                return None
            return stored_runs(setting, grid=grid, fixed=fixed, n_generations=T, seeds=seeds, workflows=workflows,
                               cache_dir=cache_dir)
        return run_grid(setting, workflows=workflows, grid=grid, fixed=fixed, n_generations=T, seeds=seeds,
                        cache_dir=cache_dir, progress=progress, workers=workers, scheduler=scheduler,
                        cell_progress=progress and setting == "lm")


# --- claims -------------------------------------------------------------------------------------

#: The columns of every family's rows: the claim in words and its parts (workflow, where, metric,
#: t, note), the strings of the table (paper, this build, theory, agrees), the numbers behind
#: this build's value (value, low, high, seeds), the same over the paper's value (ratio,
#: ratio_lo, ratio_hi; NaN where not comparable), the range that agrees on that scale (the
#: paper's value or range widened by its tolerance: band_lo, band_hi), and the link.
CLAIM_COLUMNS = ("family", "claim", "workflow", "where", "metric", "t", "note", "paper", "this build", "theory",
                 "agrees", "value", "low", "high", "seeds", "ratio", "ratio_lo", "ratio_hi", "band_lo", "band_hi",
                 "section")

#: Where the book shows each family: (page, anchor of the section, its title).
SECTIONS: dict[str, tuple[str, str, str]] = {
    "gaussian": ("gaussian", "this-run-beside-the-paper", "Multivariate Gaussians: this run beside the paper"),
    "kde": ("kde", "this-run-beside-the-paper", "Kernel density estimation: this run beside the paper"),
    "lm": ("language_models", "this-run-beside-the-paper", "Language models: this run beside the paper"),
    "linear_regression": ("linear_regression", "this-run-beside-the-paper",
                          "Linear regression: this run beside the paper"),
    "discrete": ("discrete", "this-run-beside-the-paper", "Discrete distributions: this run beside the paper"),
    "value": ("value_of_synthetic_data", "the-paper-s-finding-and-this-run",
              "The value of synthetic data: the paper's finding, and this run"),
    "bound": ("accumulate", "where-the-sum-is-exact", "Accumulate: where the sum is exact"),
    "ordering": ("replace", "one-mechanism-four-shapes", "Replace: one mechanism, four shapes"),
}

FAMILY_LABEL = {"gaussian": "Gaussian", "bound": "Accumulate's bound", "kde": "KDE", "lm": "Language model",
                "linear_regression": "Linear regression", "discrete": "Discrete",
                "value": "Value of synthetic data", "ordering": "Ordering of the workflows"}


def _statistic(values: np.ndarray, statistic: str = "mean") -> tuple[float, float, float]:
    """(centre, low, high): the mean over seeds with a 95% interval."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return math.nan, math.nan, math.nan
    half = 1.96 * values.std(ddof=1) / math.sqrt(values.size) if values.size > 1 else 0.0
    return float(values.mean()), float(values.mean() - half), float(values.mean() + half)


def _metric_label(ref: Any) -> str:
    from .paper import METRIC_LABELS

    return ref.label or METRIC_LABELS.get(ref.metric, ref.metric.replace("_", " "))


def _link(family: str) -> str:
    page, anchor, title = SECTIONS[family]
    chapter, section = title.split(": ", 1)
    return f'<a href="{page}.html#{anchor}" title="{html.escape(title)}">{html.escape(section)}</a>'


def _row(family: str, **values: Any) -> dict[str, Any]:
    row = {c: math.nan if c in ("value", "low", "high", "ratio", "ratio_lo", "ratio_hi", "band_lo", "band_hi")
           else "–"
           for c in CLAIM_COLUMNS}
    row.update({"family": family, "note": "", "seeds": 0, "section": _link(family)})
    row.update(values)
    return row


def claim_rows(family: str, frame: pd.DataFrame | None, refs: Sequence[Any], *,
               theory: Callable[[Any, int], float | None] | None = None, missing: str = "not in this build"
               ) -> pd.DataFrame:
    """One row per paper value of ``refs``, from :func:`collapse_lib.paper.compare` (the paper,
    this build with its 95% interval, theory, agrees), with the claim in words, the link to
    the section that shows it and, for a figure, this build's value over the paper's."""
    from .paper import compare
    from .plotting import WORKFLOW_LABEL

    refs = list(refs)
    table = compare(frame, refs, theory=theory) if frame is not None and not frame.empty else None
    rows = []
    for i, ref in enumerate(refs):
        workflow = WORKFLOW_LABEL.get(ref.workflow, ref.workflow)
        where = ", ".join(f"{k} = {v}" for k, v in ref.conditions.items() if k != "authors_test") or "–"
        claim = f"{workflow}: {_metric_label(ref)}" + ("" if where == "–" else f" ({where})")
        if table is None:
            rows.append(_row(family, claim=f"{claim}, t = {ref.t}", workflow=workflow, where=where,
                             metric=_metric_label(ref), t=ref.t, paper=ref.quoted, note=ref.note,
                             **{"this build": missing, "agrees": "–"}))
            continue
        r = table.iloc[i]
        t = r["t"]
        comparable = str(r["agrees"]) in ("yes", "no")
        mid = math.sqrt(ref.low * ref.high) if ref.low > 0 and ref.high > 0 else (ref.low + ref.high) / 2
        value, low, high = float(r["value"]), float(r["low"]), float(r["high"])
        if not math.isfinite(low):
            low = high = value
        scale = 1.0 / mid if comparable and mid else math.nan
        rows.append(_row(family, claim=claim + (f", t = {ref.t}" if t != "–" else ""), workflow=workflow,
                         where=where, metric=_metric_label(ref), t=t, note=str(r["note"] or ""),
                         paper=str(r["paper"]), theory=str(r["theory"]),
                         agrees=str(r["agrees"]) or "–", value=value, low=float(r["low"]), high=float(r["high"]),
                         seeds=int(r["seeds"]), ratio=value * scale, ratio_lo=low * scale, ratio_hi=high * scale,
                         band_lo=ref.low / ref.tolerance * scale, band_hi=ref.high * ref.tolerance * scale,
                         **{"this build": str(r["this run"])}))
    return pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))


def _run_kwargs(run: Mapping[str, Any] | None) -> dict[str, Any]:
    run = dict(run or {})
    return {"cache_dir": run.get("cache_dir"), "workers": run.get("workers", 1), "scheduler": run.get("scheduler")}


def gaussian_claims(params_file: str = "", run: Mapping[str, Any] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The paper's Gaussian numbers beside the chapter *Multivariate Gaussians*' runs.
    Returns (rows, the runs used)."""
    from . import paper, theory

    v = chapter_values("gaussian", params_file)
    cells = {k: sorted({r.conditions[k] for r in paper.GAUSSIAN}) for k in ("d", "n")}
    runs = chapter_runs("gaussian", v, only=cells, **_run_kwargs(run))
    if runs is not None and not runs.empty:
        runs = runs.assign(mean_sq_error_over_first=runs.mean_sq_error / (runs.d * runs.sigma2 / runs.n))
    sigma2 = float(v["sigma2"])

    def closed_form(ref: Any, t: int) -> float | None:
        metric = ref.metric.removesuffix("_over_first")
        value = theory.expected("gaussian", metric, ref.workflow, t, **ref.conditions, sigma2=sigma2)
        if value is None:
            return None
        first = ref.conditions["d"] * sigma2 / ref.conditions["n"] if metric != ref.metric else 1.0
        return float(value) / first

    return claim_rows("gaussian", runs, paper.GAUSSIAN, theory=closed_form), runs


def kde_claims(params_file: str = "", run: Mapping[str, Any] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The paper's KDE numbers beside the chapter *Kernel density estimation*'s runs (and its
    first fits of the blobs at n = 1000 scored on both test sets)."""
    import collapse_lib as cl

    from . import paper

    v = chapter_values("kde", params_file)
    grid_refs = [r for r in paper.KDE if "authors_test" not in r.conditions]
    cells = {"dataset": sorted({r.conditions["dataset"] for r in grid_refs}),
             "h": sorted({r.conditions["h"] for r in grid_refs}), "n": sorted({r.conditions["n"] for r in grid_refs})}
    runs = chapter_runs("kde", v, only=cells, **_run_kwargs(run))
    seeds = check_seeds(v["seeds"])
    first = pd.concat([cl.simulate("kde", "replace", n_generations=1, seeds=seeds, dataset="blobs", n=1000, h=0.1,
                                   n_test=v["n_test"], authors_test=flag) for flag in (False, True)], ignore_index=True)
    frame = pd.concat([runs, first], ignore_index=True) if runs is not None and not runs.empty else first
    return claim_rows("kde", frame, paper.KDE), frame


def linear_regression_claims(params_file: str = "", run: Mapping[str, Any] | None = None
                             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The paper's linear-regression numbers beside the chapter *Linear regression*'s runs."""
    from . import paper, theory

    v = chapter_values("linear_regression", params_file)
    refs = paper.LINEAR_REGRESSION
    cells = {"d": sorted({r.conditions["d"] for r in refs}), "n": sorted({r.conditions["n"] for r in refs}),
             "sigma2": sorted({r.conditions["sigma2"] for r in refs})}
    runs = chapter_runs("linear_regression", v, only=cells, **_run_kwargs(run))

    def closed_form(ref: Any, t: int) -> float | None:
        value = theory.expected("linear_regression", ref.metric, ref.workflow, t, **ref.conditions)
        return None if value is None else float(value)

    return claim_rows("linear_regression", runs, refs, theory=closed_form), runs


def discrete_claims(params_file: str = "", run: Mapping[str, Any] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The paper's fixation times beside the chapter *Discrete distributions*' Replace chains
    (run to fixation; a chain still going at the cap counts at the cap, a lower bound)."""
    from . import paper, theory
    from .settings.discrete import replace_fixation_times

    v = chapter_values("discrete", params_file)
    k = int(v["k"])
    ns = [n for n in _as_list(v["ns"])
          if any(r.conditions["n"] == n and r.conditions["k"] == k for r in paper.DISCRETE)]
    if not ns:
        return claim_rows("discrete", None, paper.DISCRETE), pd.DataFrame()
    fix = pd.concat([replace_fixation_times(n, k, v["fixation_seeds"], v["fixation_max_generations"]) for n in ns],
                    ignore_index=True)
    capped = np.where(fix.censored, fix.max_generations, fix.fixation_generation)
    frame = fix.assign(workflow="replace", fixation_generation=capped)

    def fixation_theory(ref: Any, t: int) -> float:
        n, kk = ref.conditions["n"], ref.conditions["k"]
        if math.comb(n + kk - 1, kk - 1) <= 200_000:
            return theory.wright_fisher_exact_fixation_time(n, kk)
        return theory.wright_fisher_fixation_time(n, kk)

    return claim_rows("discrete", frame, paper.DISCRETE, theory=fixation_theory), frame


def lm_claims(params_file: str = "", run: Mapping[str, Any] | None = None, *, compute: bool = False
              ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The paper's language-model losses, each divided by its loss at t = 1 (the comparable
    reading: absolute losses depend on the tokenizer and the text), beside the chapter
    *Language models*' runs, read from the store. They are computed only with ``compute``
    (minutes at the chapter's default size)."""
    from . import paper

    v = chapter_values("language_models", params_file)
    kwargs = _run_kwargs(run)
    runs = chapter_runs("language_models", v, stored_only=not compute, **kwargs)
    first = next(ref.low for ref in paper.LM if ref.t == 1)
    refs = [replace(ref, metric="relative_loss", low=ref.low / first, high=ref.high / first,
                    label="loss / loss at t = 1") for ref in paper.LM if ref.t > 1]
    if runs is None or runs.empty:
        where = "the result store" if kwargs["cache_dir"] is not None else "this build (it ran without the store)"
        return claim_rows("lm", None, refs, missing=f"not in {where}: run the chapter Language models"), None
    runs = runs.assign(relative_loss=runs.test_loss / runs.groupby(["workflow", "seed"]).test_loss.transform("first"))
    return claim_rows("lm", runs, refs), runs


def value_claims(params_file: str = "", run: Mapping[str, Any] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The paper's value-of-synthetic-data finding, as a sign: with scarce real data a little
    synthetic data lowers the loss, with plentiful real data it raises it. This build's
    numbers: the chapter *The value of synthetic data*'s Gaussian (its KL from the truth),
    generator fit on the whole pool, the cell nearest to 256 real and 1024 synthetic, and
    the same synthetic amount with all the real data; the change in percent with a 95%
    interval over seeds (paired differences)."""
    from . import paper, value

    v = chapter_values("value_of_synthetic_data", params_file)
    cells = value.grid_cells(v["num_real"], v["num_synthetic"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", value.CappedWarning)
        grid = value.run_value(value.make_task("gaussian", d=v["gaussian_d"]), cells, seeds=v["seeds"],
                               n_available=v["n_available"], generator="pool", setting="gaussian")
    grid = grid.sort_values("capped", kind="stable").drop_duplicates(["seed", "num_real", "num_synthetic"])

    def nearest(values: Iterable[int], target: int) -> int:
        return min(values, key=lambda x: (abs(math.log(x / target)), x))

    nr_max = int(grid.num_real.max())
    nr_ref = nearest([r for r in sorted(grid.num_real.unique()) if r < nr_max] or [nr_max], 256)
    ns_ref = nearest([s for s in _as_list(v["num_synthetic"]) if s > 0], 1024)
    without, with_ = sorted(paper.VALUE, key=lambda r: r.conditions["num_synthetic"])
    paper_change = 100 * (with_.low / without.low - 1)
    m = grid.set_index(["seed", "num_real", "num_synthetic"])["kl"]
    rows = []
    for nr, claim, paper_text, sign in (
            (nr_ref, "scarce real data: a little synthetic data lowers the loss",
             f"{paper_change:+.1f}% ({without.low:.2f} → {with_.low:.2f})", -1),
            (nr_max, "plentiful real data: synthetic data raise the loss", "raises it", +1)):
        base = m.xs((nr, 0), level=("num_real", "num_synthetic"))
        mixed = m.xs((nr, ns_ref), level=("num_real", "num_synthetic"))
        change = 100 * (mixed - base) / base.mean()
        centre, lo, hi = _statistic(change.to_numpy())
        agrees = "yes" if (sign < 0 and hi < 0) or (sign > 0 and lo > 0) else "no"
        where = (f"{nr} real + {ns_ref} synthetic (the paper: 256 real + about 1k synthetic)" if sign < 0 else
                 f"all {nr} real examples + {ns_ref} synthetic")
        rows.append(_row("value", claim=f"Gaussian stand-in, {claim}", workflow="One generation", metric=claim,
                         where=where,
                         note="change of the loss in %; the paper's is for a language model: only the sign "
                              "is compared", paper=paper_text, agrees=agrees,
                         value=centre, low=lo, high=hi, seeds=int(change.size),
                         **{"this build": f"{centre:+.1f}% [{lo:+.1f}, {hi:+.1f}]"}))
    return pd.DataFrame(rows, columns=list(CLAIM_COLUMNS)), grid


def bound_claims(gaussian: pd.DataFrame | None, linear_regression: pd.DataFrame | None) -> pd.DataFrame:
    """Accumulate's error stays below pi^2/6 times the first fit's (in expectation): per
    setting, the largest cell mean at the last generation in units of the first-fit error,
    with its interval, beside the Basel partial sum (the theory) and the ceiling."""
    from . import theory
    from .paper import format_value

    rows = []
    for name, frame, unit in (("Gaussian mean error", gaussian, "gaussian"),
                              ("linear-regression test MSE", linear_regression, "linear_regression")):
        if frame is None or frame.empty:
            continue
        part = frame[frame.workflow == "accumulate"]
        T = int(part.generation.max())
        part = part[part.generation == T]
        if unit == "gaussian":
            scaled = part.mean_sq_error / (part.d * part.sigma2 / part.n)
        else:
            part = part[part.n >= part.d + 2]
            if part.empty:
                continue
            scaled = part.test_mse / (part.sigma2 * part.d / (part.n - part.d - 1))
        stats = {key: _statistic(vals.to_numpy(), "mean") for key, vals in scaled.groupby([part.d, part.n])}
        (d, n), (centre, lo, hi) = max(stats.items(), key=lambda item: item[1][0])
        rows.append(_row("bound", claim=f"Accumulate: {name} / first fit ≤ π²/6", workflow="Accumulate",
                         metric=f"{name} / first-fit error ≤ π²/6",
                         where=f"the largest of {len(stats)} cells: d = {d}, n = {n}", t=T,
                         note="a bound on the expectation: the cell's interval must reach below it",
                         paper=f"≤ {format_value(theory.PI2_OVER_6)}",
                         theory=format_value(float(theory.basel_partial_sum(T))),
                         agrees="yes" if lo <= theory.PI2_OVER_6 else "no", value=centre, low=lo, high=hi,
                         seeds=int(len(scaled.loc[(part.d == d) & (part.n == n)])),
                         **{"this build": f"{format_value(centre)} [{format_value(lo)}, {format_value(hi)}]"}))
    return pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))


def ordering_claims(frames: Mapping[str, tuple[pd.DataFrame | None, str, Mapping[str, Any]]]) -> pd.DataFrame:
    """The paper's qualitative result in each setting: at the last generation Replace is worst,
    Accumulate best, Accumulate-Subsample between. ``frames``: setting label -> (runs, metric,
    the cell to read)."""
    from .paper import format_value

    rows = []
    for label, (frame, metric, cell) in frames.items():
        if frame is None or frame.empty or metric not in frame.columns:
            continue
        sel = pd.Series(True, index=frame.index)
        for k, v in cell.items():
            sel &= frame[k].astype(object) == v
        part = frame[sel]
        if part.empty or set(part.workflow) != set(WORKFLOWS):
            continue
        T = int(part.generation.max())
        means = part[part.generation == T].groupby("workflow")[metric].mean()
        where = ", ".join(f"{k} = {v}" for k, v in cell.items())
        ok = means["replace"] > means["accumulate-subsample"] > means["accumulate"]
        rows.append(_row("ordering", claim=f"{label}: Replace worst, Accumulate best", workflow=label,
                         metric=f"{metric.replace('_', ' ')}: Replace > Accumulate-Subsample > Accumulate",
                         where=where or "–", t=T, note="this build's means, in that order",
                         paper="Replace > A-S > Acc.", agrees="yes" if ok else "no",
                         **{"this build": " > ".join(format_value(means[w]) for w in WORKFLOWS)}))
    return pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))


def all_claims(params_file: str = "", run: Mapping[str, Any] | None = None, *, compute_lm: bool = False
               ) -> pd.DataFrame:
    """Every family of claims, in the order of the book (see the module docstring)."""
    gauss, g_runs = gaussian_claims(params_file, run)
    kde, k_runs = kde_claims(params_file, run)
    lm, lm_runs = lm_claims(params_file, run, compute=compute_lm)
    linreg, l_runs = linear_regression_claims(params_file, run)
    disc, _ = discrete_claims(params_file, run)
    val, _ = value_claims(params_file, run)
    bound = bound_claims(g_runs, l_runs)
    order = ordering_claims({
        "Gaussian": (g_runs, "mean_sq_error", {"d": 10, "n": 100}),
        "KDE": (k_runs, "test_nll", {"dataset": "moons", "h": 0.1, "n": 10}),
        "Linear regression": (l_runs, "test_mse", {"d": 10, "n": 100}),
        "Language model": (lm_runs, "test_loss", {}),
    })
    frames = [f for f in (gauss, bound, kde, lm, linreg, disc, val, order) if not f.empty]
    return pd.concat(frames, ignore_index=True)


def agreement_counts(claims: pd.DataFrame) -> pd.DataFrame:
    """Per family: claims, compared (this build has the value at the paper's generation), agreeing."""
    out = claims.groupby("family", sort=False).agg(
        claims=("claim", "size"), compared=("agrees", lambda a: int(a.isin(["yes", "no"]).sum())),
        agree=("agrees", lambda a: int((a == "yes").sum())))
    out.index = [FAMILY_LABEL.get(f, f) for f in out.index]
    out.index.name = "family"
    return out


def claims_html(claims: pd.DataFrame, family: str | None = None) -> str:
    """The claims (of one family) as an HTML table narrow enough for the book's column, in the
    layout of :func:`collapse_lib.paper.to_html`: claim (its conditions, note and the link to
    the section that shows it in small type below), paper, this build (95% interval and
    seeds below), theory, agrees."""
    part = claims if family is None else claims[claims.family == family]
    cell = "padding:0.3em 0.5em;vertical-align:top;white-space:normal;"
    num = cell + "text-align:right;"
    small = '<br><span style="font-size:0.85em;opacity:0.8">'
    rows = []
    for _, r in part.iterrows():
        where = [] if str(r["where"]) in ("", "–") else [html.escape(str(r["where"]))]
        if str(r["t"]) not in ("", "–"):
            where.append(f"t = {html.escape(str(r['t']))}")
        text = f"<b>{html.escape(str(r['workflow']))}</b>, {html.escape(str(r['metric']))}"
        if where:
            text += small + "; ".join(where) + "</span>"
        if str(r["note"] or ""):
            text += small + "<i>" + html.escape(str(r["note"])) + "</i></span>"
        text += small + "shown in: " + str(r["section"]) + "</span>"
        value = html.escape(str(r["this build"]))
        if math.isfinite(r["value"]) and " [" in value and int(r["seeds"] or 0) > 1:
            head, interval = value.split(" [", 1)
            value = f"{head}{small}[{interval}, {int(r['seeds'])} seeds</span>"
        agrees = {"yes": "yes", "no": "<b>no</b>"}.get(str(r["agrees"]), "–")
        rows.append(f'<tr><td style="{cell}text-align:left">{text}</td>'
                    f'<td style="{num}">{html.escape(str(r["paper"]))}</td><td style="{num}">{value}</td>'
                    f'<td style="{num}">{html.escape(str(r["theory"]))}</td>'
                    f'<td style="{cell}text-align:center">{agrees}</td></tr>')
    head = "".join(f'<th style="{cell}text-align:{a}">{h}</th>' for h, a in
                   [("claim", "left"), ("paper", "right"), ("this build", "right"), ("theory", "right"),
                    ("agrees", "center")])
    return (f'<table class="dataframe comparison claims" style="width:100%;max-width:100%;table-layout:auto">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


# --- the scale of this build ------------------------------------------------------------------

def run_size(values: Mapping[str, Any]) -> float:
    """Chains x generations of a chapter's main grid, from its parameters: seeds (or k seeds)
    x n_generations x the length of every list-valued parameter that is a grid axis (ds, ns,
    datasets, bandwidths, sigma2s, num_real, num_synthetic); a rough measure of its work."""
    axes = ("ds", "ns", "datasets", "bandwidths", "sigma2s", "num_real", "num_synthetic")
    seeds = values.get("seeds", 1)
    size = float(len(seeds) if isinstance(seeds, list) else seeds)
    size *= float(values.get("n_generations", 1))
    for name in axes:
        if isinstance(values.get(name), list):
            size *= len(values[name])
    return size


def scale_table(paper_file: str | Path = "params/paper.yml", params_file: str | Path | None = "",
                chapters: Sequence[str] | None = None) -> pd.DataFrame:
    """Per chapter and parameter where this build differs from the paper's scale: this build's
    value (defaults overlaid by ``params_file``), the paper-scale value (``paper_file``), and the
    parameter's comment. Chapters without a section in ``paper_file`` are left out."""
    import yaml

    path = params_path(paper_file)
    assert path is not None
    paper_sections = yaml.safe_load(path.read_text()) or {}
    rows = []
    for chapter in chapters or list(paper_sections):
        if chapter not in paper_sections or not {"seeds", "n_generations"} & set(chapter_defaults(chapter)):
            continue  # a page that reads other chapters' runs has no scale of its own
        ours = chapter_values(chapter, params_file)
        comments = chapter_comments(chapter)
        for name, value in (paper_sections[chapter] or {}).items():
            if ours.get(name) != value:
                rows.append({"chapter": chapter, "parameter": name, "this build": _short(ours.get(name)),
                             "paper scale": _short(value), "meaning": comments.get(name, "")})
    return pd.DataFrame(rows)


def scale_summary(paper_file: str | Path = "params/paper.yml", params_file: str | Path | None = "",
                  chapters: Sequence[str] | None = None) -> pd.DataFrame:
    """Per chapter: the work of this build and of the paper's scale (:func:`run_size`), their
    ratio, and the command that runs the chapter at the paper's scale."""
    import yaml

    path = params_path(paper_file)
    assert path is not None
    paper_sections = yaml.safe_load(path.read_text()) or {}
    rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    rows = []
    for chapter in chapters or list(paper_sections):
        if chapter not in paper_sections or not {"seeds", "n_generations"} & set(chapter_defaults(chapter)):
            continue  # a page that reads other chapters' runs has no scale of its own
        ours = run_size(chapter_values(chapter, params_file))
        theirs = run_size({**chapter_defaults(chapter), **(paper_sections[chapter] or {})})
        rows.append({"chapter": chapter, "this build": ours, "paper scale": theirs, "ratio": theirs / ours,
                     "command": f"make chapter CHAPTER={chapter} PARAMS={rel}"})
    return pd.DataFrame(rows)


def _short(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "–" if value is None else str(value)
