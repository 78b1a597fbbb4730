"""The book's claims, gathered from the settings (chapter *Results at a glance*, the workflow
chapters, and each setting chapter's "This run beside the paper").

The machinery only: each setting's folder holds its own claims
(``collapse_lib/settings/<name>/claims.py``), reached through the registry
(:func:`collapse_lib.registry.part`). A setting's claims module defines:

* ``CHAPTER``, a :class:`ChapterGrid`: how the setting's chapter calls
  :func:`collapse_lib.run_grid` (which chapter list parameter is which grid axis), so that
  any page can read that chapter's runs back from the result store (same arguments, same
  key: the chapter's own numbers);
* ``claims(ctx, *, references=None, with_runs=True) -> ClaimSet``: its rows
  (:func:`collapse_lib.verdicts.compare`: this build beside each reference number, with the
  verdict) and the chapter's runs (for the bound and the ordering; skipped with
  ``with_runs=False``); ``references`` replaces its reference numbers (the tests plant
  wrong ones); its chapter and the results page call the same function;
* optionally ``HEADLINE`` (:class:`Headline`: one metric and cell that the cross-setting
  comparisons use), ``BOUND`` (:class:`Bound`: Accumulate's pi^2/6 claim), ``VIEWS``
  (workflow -> :class:`View`: its panel in the chapters *Replace* and *Accumulate*), and
  ``value_claims(ctx) -> DataFrame`` (its rows of the family "value": the paper's value of
  synthetic data beside the chapter *The value of synthetic data*).

Across settings, this module adds the families that compare settings: the bound of
Accumulate tested jointly over every cell (:func:`bound_claims`), the ordering of the
workflows with paired intervals (:func:`ordering_claims`), multiplicity (Holm's
correction over every verdict, :func:`with_multiplicity`), and the tables of the page.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import yaml
from scipy import stats as st

from . import stats
from .chapters import chapter_comments, chapter_defaults, chapter_values, params_path
from .files import ROOT
from .grid import SEEDS_PER_TASK, grid_cells, run_grid
from .registry import SETTINGS, check_params, fingerprint, get_setting, part
from .simulate import check_run
from .store import Store
from .tables import escape, format_value, html_table, nowrap, small
from .theory import PI2_OVER_6, basel_partial_sum
from .validation import ParameterError, check_seeds
from .verdicts import ROW_COLUMNS, empty_rows, row
from .workflows import WORKFLOWS

__all__ = ["ChapterGrid", "Headline", "Bound", "View", "Context", "ClaimSet", "chapter_runs", "stored_runs",
           "settings_with", "claims_module", "setting_claims", "bound_claims", "ordering_claims", "all_claims",
           "with_multiplicity", "family_label", "verdict_counts", "claims_html", "link", "workflow_views",
           "scale_table", "scale_summary", "run_size", "FAMILY_LABEL"]


# --- how a setting's chapter runs its grid ---------------------------------------------------

@dataclass(frozen=True)
class ChapterGrid:
    """How a setting's chapter calls :func:`collapse_lib.run_grid`.

    ``grid``: setting parameter -> the chapter's list parameter that gives its values;
    ``fixed``: setting parameter -> the chapter's scalar parameter; ``all_params``: pass
    every parameter of the setting that the chapter defines (the language model's many
    knobs); ``expensive``: minutes per run, so that summary pages only read its runs from
    the store; ``quiet``: warnings the chapter silences while it runs (with the reason in
    the chapter). ``title`` names the chapter; ``anchor`` its section "This run beside the
    paper".
    """

    chapter: str
    setting: str
    title: str
    grid: Mapping[str, str] = field(default_factory=dict)
    fixed: Mapping[str, str] = field(default_factory=dict)
    all_params: bool = False
    expensive: bool = False
    quiet: tuple[type[Warning], ...] = ()
    anchor: str = "this-run-beside-the-paper"


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _grid_arguments(spec: ChapterGrid, values: Mapping[str, Any], only: Mapping[str, Iterable[Any]] | None
                    ) -> tuple[dict[str, list[Any]], dict[str, Any]]:
    grid = {k: _as_list(values[v]) for k, v in spec.grid.items()}
    fixed = {k: values[v] for k, v in spec.fixed.items()}
    if spec.all_params:

        names = get_setting(spec.setting).params
        fixed = check_params(spec.setting, {k: v for k, v in values.items() if k in names})
    for name, wanted in (only or {}).items():
        if name not in grid:
            raise ParameterError(f"chapter {spec.chapter!r}: 'only' names {name!r}, not a grid parameter "
                                 f"({', '.join(grid) or 'none'})")
        keep = _as_list(list(wanted) if not isinstance(wanted, str) else [wanted])
        grid[name] = [v for v in grid[name] if v in keep]
    return grid, fixed


def stored_runs(setting: str, *, grid: Mapping[str, list[Any]], fixed: Mapping[str, Any], n_generations: int,
                seeds: Any, workflows: Sequence[str] = WORKFLOWS, cache_dir: str | Path | None = None
                ) -> pd.DataFrame | None:
    """What :func:`collapse_lib.run_grid` would return with these arguments, read from the
    result store only; None when any unit of it is not stored for the current code."""
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


def chapter_runs(spec: ChapterGrid, values: Mapping[str, Any], *, only: Mapping[str, Iterable[Any]] | None = None,
                 workflows: Sequence[str] = WORKFLOWS, cache_dir: str | Path | None = None, workers: int = 1,
                 scheduler: Any = None, stored_only: bool = False, progress: bool = False,
                 seeds: Any = None) -> pd.DataFrame | None:
    """The runs of ``spec``'s chapter (its grid, or the cells ``only`` keeps) with the
    chapter's ``values`` (:func:`collapse_lib.chapters.chapter_values`), exactly as the
    chapter calls :func:`collapse_lib.run_grid`: with ``cache_dir`` the store serves what
    the chapter stored. ``seeds`` overrides the chapter's ``seeds`` (a chapter that runs
    its quoted cells with more seeds). An empty frame when ``only`` keeps no cell; with
    ``stored_only``, None unless every unit is stored (nothing is computed)."""
    grid, fixed = _grid_arguments(spec, values, only)
    if any(not v for v in grid.values()):
        return pd.DataFrame()
    T = int(values["n_generations"])
    seed_list = check_seeds(values["seeds"] if seeds is None else seeds)
    with warnings.catch_warnings():
        for category in spec.quiet:
            warnings.simplefilter("ignore", category)
        if stored_only:
            if cache_dir is None:
                return None
            return stored_runs(spec.setting, grid=grid, fixed=fixed, n_generations=T, seeds=seed_list,
                               workflows=workflows, cache_dir=cache_dir)
        return run_grid(spec.setting, workflows=workflows, grid=grid, fixed=fixed, n_generations=T, seeds=seed_list,
                        cache_dir=cache_dir, progress=progress, workers=workers, scheduler=scheduler,
                        cell_progress=progress and spec.expensive)


# --- what a setting declares for the cross-setting pages ------------------------------------------

@dataclass(frozen=True)
class Headline:
    """One metric of a setting on the common scale of the cross-setting comparisons.

    ``metric``: a column of the runs (``derive`` may compute it); ``cell(values)``: the
    cell to read, from the setting chapter's parameter values; ``normalise``: ``"ratio"``
    (value over the first fit's mean) or ``"excess"`` (value minus the same seed's first
    fit: for a log-likelihood, which does not start near zero); ``label``: how a figure
    names it (``{cell}`` is replaced by the cell).
    """

    metric: str
    cell: Callable[[Mapping[str, Any]], dict[str, Any]]
    normalise: str
    label: str
    derive: Callable[[pd.DataFrame], pd.Series] | None = None
    unit: str = ""


@dataclass(frozen=True)
class Bound:
    """Accumulate's claim that a setting's error stays below pi^2/6 times the first fit's.

    ``scaled(runs)``: the error at each row in units of the first fit's expected error (NaN
    where it has no finite expectation); ``exact(cell, t)``: the exact expectation of that
    ratio at generation t, where one is known (below pi^2/6); ``cells``: the columns that
    name a cell; ``label``: the error's name.
    """

    label: str
    scaled: Callable[[pd.DataFrame], pd.Series]
    cells: tuple[str, ...]
    exact: Callable[[Mapping[str, Any], int], float | None] | None = None


@dataclass(frozen=True)
class View:
    """A setting's panel in a workflow chapter.

    ``cell(values)``: which cells of the setting chapter's runs to read (``only=``);
    ``y``: the column plotted, which ``prepare(runs)`` adds; ``theory(part, ts)``: the
    closed form for one hue value's runs (None: none); ``summary(runs)``: one sentence with
    this build's numbers, for the chapter's list; ``shape``: the word for what the panel
    shows (saturation, linear growth, ...); ``title``: the panel's title.
    """

    title: str
    shape: str
    y: str
    ylabel: str
    cell: Callable[[Mapping[str, Any]], dict[str, Any]]
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    theory: Callable[[pd.DataFrame, np.ndarray], np.ndarray | None] | None = None
    summary: Callable[[pd.DataFrame], str] | None = None
    log: bool = False
    hue: str = "n"
    ylim: tuple[float, float] | None = None


# --- the context of a page ------------------------------------------------------------------------

@dataclass(frozen=True)
class Context:
    """What a page knows when it gathers claims: the parameter file the book was built with
    (``""``: the chapters' defaults), where runs are stored and run (``run``: the keyword
    arguments of :func:`collapse_lib.grid.runner`), and whether expensive settings may be
    computed when the store lacks them (``compute_expensive``). ``overrides``: chapter ->
    its parameter values, for a chapter that passes its own (possibly set with
    ``papermill -p``) instead of reading them from its source and the parameter file."""

    params_file: str = ""
    run: Mapping[str, Any] = field(default_factory=dict)
    compute_expensive: bool = False
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def values(self, chapter: str) -> dict[str, Any]:
        """The chapter's parameters as this build ran it."""
        if chapter in self.overrides:
            return dict(self.overrides[chapter])
        return chapter_values(chapter, self.params_file)

    def runs(self, spec: ChapterGrid, values: Mapping[str, Any] | None = None, **kwargs: Any) -> pd.DataFrame | None:
        """:func:`chapter_runs` of ``spec``'s chapter with this build's values and store."""
        run = {"cache_dir": self.run.get("cache_dir"), "workers": self.run.get("workers", 1),
               "scheduler": self.run.get("scheduler")}
        kwargs.setdefault("stored_only", spec.expensive and not self.compute_expensive)
        return chapter_runs(spec, values if values is not None else self.values(spec.chapter), **run, **kwargs)

    def missing(self, spec: ChapterGrid) -> str:
        """Why an expensive chapter's runs are absent."""
        where = "the result store" if self.run.get("cache_dir") is not None else "this build (no result store)"
        return f"not in {where}: run the chapter {spec.title} first"


class ClaimSet(NamedTuple):
    """A setting's claim rows (:data:`collapse_lib.verdicts.ROW_COLUMNS`) and the runs behind them."""

    rows: pd.DataFrame
    runs: pd.DataFrame | None


def link(spec: ChapterGrid, anchor: str | None = None, text: str | None = None) -> str:
    """An HTML link to a section of a setting's chapter."""
    anchor = spec.anchor if anchor is None else anchor
    label = text or spec.title
    return f'<a href="{spec.chapter}.html#{anchor}">{escape(label)}</a>'


def claims_module(name: str) -> Any:
    """Setting ``name``'s claims module (None where it has none)."""
    return part(name, "claims")


def settings_with(attribute: str) -> list[tuple[str, Any]]:
    """(setting, claims module) for every registered setting whose claims module defines
    ``attribute``, in registry order."""
    out = []
    for name in SETTINGS:
        module = part(name, "claims")
        if module is not None and hasattr(module, attribute):
            out.append((name, module))
    return out


def setting_claims(name: str, ctx: Context) -> ClaimSet:
    """Setting ``name``'s claims (its folder's ``claims(ctx)``)."""
    module = part(name, "claims")
    if module is None:
        return ClaimSet(empty_rows(), None)
    return module.claims(ctx)


#: How the page names each family (a setting's family is its chapter's title).
FAMILY_LABEL: dict[str, str] = {"bound": "Accumulate's bound", "ordering": "Ordering of the workflows",
                                "value": "Value of synthetic data"}


def family_label(family: str) -> str:
    """The name of a family of claims on the page."""
    if family in FAMILY_LABEL:
        return FAMILY_LABEL[family]
    module = part(family, "claims") if family in SETTINGS else None
    return module.CHAPTER.title if module is not None else family


# --- the families that compare settings ------------------------------------------------------

#: Where the book shows Accumulate's bound across settings.
BOUND_SECTION = '<a href="accumulate.html#where-the-sum-is-exact">Accumulate: where the sum is exact</a>'


def bound_claims(runs: Mapping[str, pd.DataFrame | None], *, alpha: float = 0.05) -> pd.DataFrame:
    """Accumulate stays below pi^2/6 times the first fit's error, tested jointly over every
    cell of each setting that declares a :class:`Bound`.

    Per cell, the ratio at the last generation has a one-sided p-value for "its expectation
    exceeds pi^2/6" (Student's t); Holm's correction over the cells gives the family-wise
    verdict. The row shows the cell closest to the bound, its interval, the exact limit
    where one is known, and how large a violation the test could have detected (the
    largest one-sided margin of the cells' 95% upper bounds above their means).
    """

    rows = []
    for name, module in settings_with("BOUND"):
        frame = runs.get(name)
        if frame is None or frame.empty or "accumulate" not in set(frame["workflow"]):
            continue
        bound: Bound = module.BOUND
        part_ = frame[frame.workflow == "accumulate"]
        T = int(part_.generation.max())
        part_ = part_[part_.generation == T]
        scaled = bound.scaled(part_)
        keep = np.isfinite(scaled.to_numpy(dtype=float))
        part_, scaled = part_[keep], scaled[keep]
        if part_.empty:
            continue
        cells = []
        for key, vals in scaled.groupby([part_[c] for c in bound.cells]):
            iv = stats.mean_interval(vals.to_numpy(), method="t")
            se = float(vals.std(ddof=1)) / math.sqrt(len(vals)) if len(vals) > 1 else math.nan
            p = float(st.t.sf((iv.centre - PI2_OVER_6) / se, len(vals) - 1)) if se > 0 else math.nan
            cell = dict(zip(bound.cells, key if isinstance(key, tuple) else (key,)))
            limit = bound.exact(cell, T) if bound.exact is not None else None
            cells.append((cell, iv, p, limit))
        adjusted = stats.holm([c[2] for c in cells])
        violated = int(np.nansum(adjusted < alpha))
        cell, iv, p, limit = max(cells, key=lambda c: c[1].centre)
        margin = max(c[1].high - c[1].centre for c in cells)
        where = ", ".join(f"{k} = {v}" for k, v in cell.items())
        gaps = [PI2_OVER_6 - c[3] for c in cells if c[3] is not None]
        gap_text = (f"; the exact expectation lies {format_value(min(gaps))}–{format_value(max(gaps))} below π²/6, "
                    f"{'more' if min(gaps) > margin else 'less'} than this test can resolve "
                    f"({format_value(margin)})") if gaps else ""
        verdict = "reproduced" if violated == 0 else "differs"
        detail = (f"no cell of {len(cells)} exceeds π²/6 after Holm's correction; a violation smaller than "
                  f"about {format_value(margin)} (the largest half-width) would go unseen{gap_text}"
                  if violated == 0 else f"{violated} of {len(cells)} cells exceed π²/6 after Holm's correction")
        rows.append(row(family="bound", setting=name, claim=f"Accumulate: {bound.label} / first fit ≤ π²/6",
                        workflow="Accumulate", where=f"all {len(cells)} cells; closest to the bound: {where}",
                        metric=f"{bound.label} / first-fit error", t=T,
                        note="a bound on the expectation, tested in every cell at once (one-sided t, Holm)",
                        reference=f"≤ π²/6 ≈ {format_value(PI2_OVER_6)}", range_lo=0.0, range_hi=PI2_OVER_6,
                        source="the paper's theory (Dey & Donoho 2024)",
                        value=iv.centre, low=iv.low, high=iv.high, seeds=iv.n, method=iv.method,
                        theory=format_value(limit) if limit is not None else format_value(
                            float(basel_partial_sum(T))),
                        theory_value=limit if limit is not None else float(basel_partial_sum(T)),
                        theory_inside=None if limit is None else bool(iv.contains(limit)),
                        verdict=verdict, detail=detail, p_value=float(np.nanmin(adjusted)),
                        section=BOUND_SECTION, **{"this build": iv.text()}))
    return pd.DataFrame(rows, columns=list(ROW_COLUMNS)) if rows else empty_rows()


def ordering_claims(runs: Mapping[str, pd.DataFrame | None], values: Mapping[str, Mapping[str, Any]]
                    ) -> pd.DataFrame:
    """The paper's qualitative result in each setting with a :class:`Headline`: at the last
    generation Replace is worst, Accumulate best, Accumulate-Subsample between. Each seed
    runs all three workflows from the same first fit, so the two steps are paired
    differences (:func:`collapse_lib.stats.paired_difference`); the ordering *holds* when
    both intervals lie above zero, is *reversed* when one lies below, and is *not
    resolved* otherwise."""
    rows = []
    for name, module in settings_with("HEADLINE"):
        frame = runs.get(name)
        head: Headline = module.HEADLINE
        if frame is None or frame.empty:
            continue
        cell = head.cell(values[name])
        data = frame.assign(**{head.metric: head.derive(frame)}) if head.derive is not None else frame
        sel = pd.Series(True, index=data.index)
        for k, v in cell.items():
            sel &= data[k].astype(object) == v
        data = data[sel]
        if data.empty or set(data.workflow) != set(WORKFLOWS):
            continue
        T = int(data.generation.max())
        last = data[data.generation == T].pivot_table(index="seed", columns="workflow", values=head.metric)
        last = last.dropna()
        steps = [stats.paired_difference(last["replace"], last["accumulate-subsample"]),
                 stats.paired_difference(last["accumulate-subsample"], last["accumulate"])]
        if all(s.low > 0 for s in steps):
            verdict, detail = "reproduced", "both paired differences lie above zero"
        elif any(s.high < 0 for s in steps):
            verdict, detail = "differs", "a paired difference lies below zero: the order is reversed there"
        else:
            verdict, detail = "consistent", "a paired difference's interval includes zero: the order is not " \
                                             "resolved at this build's size"
        where = ", ".join(f"{k} = {v}" for k, v in cell.items())
        means = last.mean()
        text = " > ".join(format_value(means[w]) for w in WORKFLOWS)
        steps_text = "; ".join(f"{a} − {b}: {s.text()}" for (a, b), s in
                               zip((("R", "A-S"), ("A-S", "A")), steps))
        rows.append(row(family="ordering", setting=name,
                        claim=f"{module.CHAPTER.title}: Replace worst, Accumulate best",
                        workflow=module.CHAPTER.title, where=where or "–",
                        metric=f"{head.metric.replace('_', ' ')}: Replace > Accumulate-Subsample > Accumulate",
                        t=T, note=f"paired differences over seeds: {steps_text}",
                        reference="Replace > A-S > Acc.", source="the paper's finding in every setting",
                        value=math.nan, seeds=len(last), method="paired t", verdict=verdict, detail=detail,
                        section=link(module.CHAPTER), **{"this build": text}))
    return pd.DataFrame(rows, columns=list(ROW_COLUMNS)) if rows else empty_rows()


def all_claims(ctx: Context, *, extra: Sequence[Callable[[Context], pd.DataFrame]] = ()) -> pd.DataFrame:
    """Every setting's claims in registry order, then the bound of Accumulate, the ordering of
    the workflows, the value of synthetic data (each setting's ``value_claims``), and the
    ``extra`` families (e.g. the value of synthetic data), with Holm's
    correction over every verdict (:func:`with_multiplicity`)."""
    frames, runs, values = [], {}, {}
    for name in SETTINGS:
        module = part(name, "claims")
        if module is None:
            continue
        result = module.claims(ctx)
        frames.append(result.rows)
        values[name] = ctx.values(module.CHAPTER.chapter)
        runs[name] = result.runs
    frames.append(bound_claims(runs))
    frames.append(ordering_claims(runs, values))
    frames.extend(module.value_claims(ctx) for _, module in settings_with("value_claims"))
    frames.extend(f(ctx) for f in extra)
    frames = [f for f in frames if not f.empty]
    table = pd.concat(frames, ignore_index=True) if frames else empty_rows()
    return with_multiplicity(table)


def with_multiplicity(table: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Adds ``p_holm`` (Holm's adjusted p-value over every row with a verdict) and
    ``holds_after_holm`` (a "differs" that holds for the whole page at 95%)."""
    p = table["p_value"].astype(float).to_numpy()
    judged = table["verdict"].isin(["reproduced", "consistent", "differs"]).to_numpy()
    p = np.where(judged & ~np.isfinite(p), 1.0, p)
    p = np.where(judged, p, np.nan)
    out = table.copy()
    out["p_holm"] = stats.holm(p)
    out["holds_after_holm"] = (out["verdict"] == "differs") & (out["p_holm"] < alpha)
    return out


def verdict_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Per family: claims, and how many are reproduced, consistent, differ, or were not run."""
    out = pd.DataFrame({"claims": table.groupby("family", sort=False).size()})
    for word in ("reproduced", "consistent", "differs", "not run at this scale"):
        out[word] = table.groupby("family", sort=False)["verdict"].apply(lambda v, w=word: int((v == w).sum()))
    out.index = [family_label(f) for f in out.index]
    out.index.name = "family"
    return out


_VERDICT_STYLE = {"reproduced": "reproduced", "consistent": "consistent", "differs": "<b>differs</b>",
                  "not run at this scale": "not run at this scale"}


def claims_html(table: pd.DataFrame, family: str | None = None, *, sources: bool = True) -> str:
    """The claims (of one family) as an HTML table for the book's column: the claim (its
    cell, generation, note, source and link in small type), the reference and the range
    compared, this build (its statistic, interval and seeds), theory (marked where it lies
    outside this build's interval), and the verdict with its reason."""
    part_ = table if family is None else table[table.family == family]
    rows = []
    for _, r in part_.iterrows():
        where = [] if str(r["where"]) in ("", "–") else [escape(r["where"])]
        if str(r["t"]) not in ("", "–", "None", "nan"):
            where.append(f"t = {escape(r['t'])}")
        text = f"<b>{escape(r['workflow'])}</b>, {escape(r['metric'])}"
        if where:
            text += small("; ".join(where))
        if str(r["note"] or ""):
            text += small("<i>" + escape(r["note"]) + "</i>")
        if sources and str(r["source"] or ""):
            text += small("source: " + escape(r["source"]))
        if str(r["section"] or ""):
            text += small("shown in: " + str(r["section"]))
        value = escape(r["this build"])
        if " [" in value and int(r["seeds"] or 0) > 1:
            head, interval = value.split(" [", 1)
            value = nowrap(head) + small("[" + interval, wrap=False) + small(
                f"{int(r['seeds'])} seeds, {escape(r['method'])}", wrap=False)
        theory = escape(r["theory"]) or "–"
        if r.get("theory_inside") is False:
            theory += small("outside the interval")
        verdict = _VERDICT_STYLE.get(str(r["verdict"]), escape(r["verdict"]))
        if r.get("holds_after_holm") is True:
            verdict += small("holds after Holm")
        elif str(r["verdict"]) == "differs" and "holds_after_holm" in r:
            verdict += small("not after Holm")
        if str(r["detail"] or ""):
            verdict += small(escape(r["detail"]))
        rows.append([text, nowrap(escape(r["reference"])), value, theory, verdict])
    columns = [("claim", "left"), ("reference [range]", "right"), ("this build", "right"), ("theory", "right"),
               ("verdict", "left")]
    return html_table(columns, rows, css_class="comparison claims")


# --- the workflow chapters ----------------------------------------------------------------------

def workflow_views(workflow: str, ctx: Context) -> list[tuple[str, View, pd.DataFrame, Mapping[str, Any]]]:
    """(setting, view, runs, chapter values) for every setting with a view of ``workflow``,
    in registry order: the runs of the cells the view shows, read from the setting
    chapter's store (or recomputed with the same arguments)."""
    out = []
    for name, module in settings_with("VIEWS"):
        view = module.VIEWS.get(workflow)
        if view is None:
            continue
        values = ctx.values(module.CHAPTER.chapter)
        frame = ctx.runs(module.CHAPTER, values, only=view.cell(values), workflows=[workflow])
        if frame is None or frame.empty:
            continue
        if view.prepare is not None:
            frame = view.prepare(frame)
        out.append((name, view, frame, values))
    return out


# --- the scale of this build ----------------------------------------------------------------------

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
