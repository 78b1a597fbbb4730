"""What the workflow chapters draw, tabulate and say about every setting (chapters *Replace*,
*Accumulate* and *Accumulate-Subsample*).

Every setting comes from the registry, through what its claims module declares
(:class:`collapse_lib.claims.View`, :class:`~collapse_lib.claims.Bound`,
:class:`~collapse_lib.claims.Headline`), never by its name: a setting added to the registry
with these declarations appears in the chapters with no edit to them.

* :func:`view_figure` draws one panel per view (:func:`draw_view`): one line per value of
  the view's hue, the mean over seeds with its band, the closed form dashed;
* :func:`bound_views` turns each :class:`~collapse_lib.claims.Bound` into a view of
  Accumulate's error in units of the first fit's, with the exact expectation where the
  setting knows it;
* :func:`last_generation` and :func:`last_generation_table`: each line's last generation,
  this build's mean with its 95% interval (:func:`collapse_lib.stats.mean_interval`) beside
  the closed form, and whether the interval holds it;
* :func:`summary_markdown`: the views' one-sentence summaries, as a list;
* :func:`comparison_figure`, :func:`levels_table`, :func:`level_sentence` and
  :func:`plateau_table`: the cross-setting comparison of *Accumulate-Subsample*;
* :func:`count_words`, :func:`stored_phrase`: sentences built from numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, NullFormatter

from . import plotting, stats
from .claims import ChapterGrid, Context, View, settings_with
from .registry import part
from .tables import escape, format_value, html_table, nowrap, small
from .theory import PI2_OVER_6

__all__ = ["Entry", "METHOD_LABEL", "chapter_of", "cell_text", "draw_view", "view_figure", "bound_views",
           "last_generation", "last_generation_table", "theory_phrase", "summary_markdown", "comparison_figure",
           "levels_table", "level_sentence", "excess_sentence", "ordering_sentence", "plateau_table",
           "verdict_sentence", "spec_text", "spec_phrase", "instead_sentence", "log_axis", "number_word",
           "count_words", "join_words", "stored_phrase"]

#: (setting, view, runs, the setting chapter's parameter values), as
#: :func:`collapse_lib.claims.workflow_views` returns them.
Entry = tuple[str, View, pd.DataFrame, Mapping[str, Any]]

#: How a table names the method of an interval (:func:`collapse_lib.stats.mean_interval`).
METHOD_LABEL: dict[str, str] = {"t": "Student t", "log-t": "Student t, log scale", "bootstrap": "BCa bootstrap",
                                "heavy": "bootstrap for heavy tails"}

_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


# --- phrases ---------------------------------------------------------------------------------------

def number_word(count: int) -> str:
    """A count as a word up to ten (``"three"``), in figures beyond (``"12"``, ``"1,024"``)."""
    count = int(count)
    return _WORDS[count] if 0 <= count < len(_WORDS) else f"{count:,}"


def log_axis(ax: plt.Axes, axis: str = "y") -> None:
    """A logarithmic axis whose minor ticks are labelled only when it spans less than a
    decade (a wide axis would crowd; a narrow one has no major tick to read)."""
    getattr(ax, f"set_{axis}scale")("log")
    low, high = getattr(ax, f"get_{axis}lim")()
    target = getattr(ax, f"{axis}axis")
    if low > 0 and high / low > 10:
        target.set_minor_formatter(NullFormatter())
    else:
        plain = FuncFormatter(lambda value, _: f"{value:g}")
        target.set_major_formatter(plain)
        target.set_minor_formatter(plain)


def count_words(count: int, noun: str, plural: str | None = None) -> str:
    """``"three settings"``, ``"one setting"``, ``"no settings"``, ``"12 settings"``: a count
    as a person writes it (words up to ten)."""
    count = int(count)
    word = number_word(count)
    return f"{word} {noun if count == 1 else (plural or noun + 's')}"


def join_words(items: Sequence[str]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def stored_phrase(frames: Iterable[pd.DataFrame]) -> str:
    """One sentence saying how many of the runs (one per workflow and cell) behind ``frames``
    came from the result store (:func:`collapse_lib.grid.run_grid`'s ``attrs``); "" when the
    frames do not say."""
    cached = units = 0
    for frame in frames:
        cached += len(frame.attrs.get("cached", []))
        units += int(frame.attrs.get("units", 0))
    if units == 0:
        return ""
    runs = count_words(units, "run")
    if cached == units:
        return ("The run was" if units == 1 else f"All {runs} were") + " read from the result store."
    if cached == 0:
        return (f"The result store held none of the {runs}: they were computed here, with the same "
                "arguments as the setting chapters." if units > 1 else
                "The result store did not hold the run: it was computed here, with the same arguments as its "
                "setting chapter.")
    return (f"{cached} of the {runs} were read from the result store; the others were computed here, with "
            "the same arguments as the setting chapters.")


# --- the views ---------------------------------------------------------------------------------

def chapter_of(name: str) -> ChapterGrid:
    """The :class:`~collapse_lib.claims.ChapterGrid` of setting ``name``'s chapter."""
    return part(name, "claims").CHAPTER


def cell_text(view: View, values: Mapping[str, Any]) -> str:
    """The cell a view shows, as text (``"d = 10"``): its parameters fixed to one value."""
    items = []
    for key, value in view.cell(values).items():
        chosen = list(value) if isinstance(value, list | tuple) else [value]
        if len(chosen) == 1:
            items.append(f"{key} = {chosen[0]}")
    return ", ".join(items)


def _hue_parts(view: View, runs: pd.DataFrame) -> list[tuple[Any, pd.DataFrame]]:
    return [(value, runs[runs[view.hue] == value]) for value in sorted(runs[view.hue].unique())]


def _theory_at(view: View, part_: pd.DataFrame, ts: np.ndarray) -> np.ndarray | None:
    if view.theory is None:
        return None
    curve = view.theory(part_, ts)
    return None if curve is None else np.asarray(curve, dtype=float)


def draw_view(ax: plt.Axes, view: View, runs: pd.DataFrame, *, title: str | None = None) -> bool:
    """One view's panel: a line per value of its hue (mean over seeds with its 95% band,
    :func:`collapse_lib.plotting.mean_band`) and its closed form dashed in the same colour;
    returns whether a closed form was drawn."""
    palette = plotting.hue_palette(runs[view.hue].unique())
    drew = False
    for value, part_ in _hue_parts(view, runs):
        colour = palette[value]
        plotting.mean_band(ax, part_, view.y, color=colour, label=f"{view.hue} = {value}", log=view.log)
        ts = np.sort(part_["generation"].unique())
        curve = _theory_at(view, part_, ts)
        if curve is not None:
            plotting.theory_line(ax, ts, curve, color=colour)
            drew = True
    if drew:
        ax.plot([], [], color="0.3", label="theory", **plotting.THEORY_STYLE)
    if view.ylim is not None:
        ax.set_ylim(*view.ylim)
    ax.set_xlabel("generation $t$")
    ax.set_ylabel(view.ylabel)
    ax.set_title(title if title is not None else view.title, fontsize=9)
    plotting.integer_ticks(ax)
    ax.legend(fontsize=7, ncols=2 if len(palette) > 3 else 1)
    return drew


def view_figure(entries: Sequence[Entry], *, ncols: int = 2, panel_height: float = 2.7,
                decorate: Callable[[plt.Axes, Entry], None] | None = None) -> tuple[plt.Figure, np.ndarray]:
    """One panel per entry (:func:`collapse_lib.claims.workflow_views`), ``ncols`` to a row,
    each titled with its view's title and cell; ``decorate(ax, entry)`` may add to a panel.
    Panels left over in the last row are hidden."""
    cols = max(1, min(ncols, len(entries)))
    rows = max(1, math.ceil(len(entries) / cols))
    width = plotting.MAX_WIDTH if cols > 1 else plotting.MAX_WIDTH * 0.62
    fig, axes = plt.subplots(rows, cols, figsize=(width, panel_height * rows), layout="constrained", squeeze=False)
    for ax, entry in zip(axes.flat, entries):
        _, view, runs, values = entry
        where = cell_text(view, values)
        draw_view(ax, view, runs, title=view.title + (f"\n{where}" if where else ""))
        if decorate is not None:
            decorate(ax, entry)
    plotting.hide_empty(axes)
    return fig, axes


def bound_views(ctx: Context, workflow: str = "accumulate") -> list[Entry]:
    """Every setting that declares a :class:`~collapse_lib.claims.Bound`, as an entry of
    :func:`view_figure`: the cells of its ``workflow`` view (or, without one, its headline's
    cell for every ``n``), with the error in units of the first fit's (``over_first``,
    the bound's ``scaled``; rows where it is not finite dropped) and, as the view's theory,
    the bound's exact expectation where the setting knows one. The view's own columns,
    title, shape and summary are kept."""
    out: list[Entry] = []
    for name, module in settings_with("BOUND"):
        bound = module.BOUND
        view: View | None = getattr(module, "VIEWS", {}).get(workflow)
        values = ctx.values(module.CHAPTER.chapter)
        hue = view.hue if view is not None else "n"
        if view is not None:
            cell = view.cell
        elif hasattr(module, "HEADLINE"):
            def cell(values: Mapping[str, Any], head: Any = module.HEADLINE, hue: str = hue) -> dict[str, Any]:
                return {k: [v] for k, v in head.cell(values).items() if k != hue}
        else:
            def cell(values: Mapping[str, Any]) -> dict[str, Any]:
                return {}
        runs = ctx.runs(module.CHAPTER, values, only=cell(values), workflows=[workflow])
        if runs is None or runs.empty:
            continue
        if view is not None and view.prepare is not None:
            runs = view.prepare(runs)
        runs = runs.assign(over_first=np.asarray(bound.scaled(runs), dtype=float))
        runs = runs[np.isfinite(runs["over_first"])]

        def exact(part_: pd.DataFrame, ts: np.ndarray, bound: Any = bound) -> np.ndarray | None:
            if bound.exact is None:
                return None
            where = {c: part_[c].iloc[0] for c in bound.cells}
            curve = [bound.exact(where, int(t)) for t in ts]
            return None if any(v is None for v in curve) else np.asarray(curve, dtype=float)

        shown = View(title=view.title if view is not None else module.CHAPTER.title,
                     shape=view.shape if view is not None else "a bounded sum", y="over_first",
                     ylabel="error / first-fit error", cell=cell, theory=exact,
                     summary=view.summary if view is not None else None, hue=hue)
        out.append((name, shown, runs, values))
    return out


def last_generation(entries: Sequence[Entry]) -> pd.DataFrame:
    """Each line of the entries' panels at its last generation: this build's mean over seeds
    with its 95% interval (:func:`collapse_lib.stats.mean_interval`, which chooses a method
    that covers where the seeds are heavy-tailed), the closed form there, and whether the
    interval holds it (None where there is no closed form, or no spread between seeds)."""
    rows = []
    for name, view, runs, values in entries:
        chapter = chapter_of(name)
        for value, part_ in _hue_parts(view, runs):
            T = int(part_["generation"].max())
            interval = stats.mean_interval(part_.loc[part_["generation"] == T, view.y].to_numpy(dtype=float))
            curve = _theory_at(view, part_, np.array([T]))
            theory = float(curve[0]) if curve is not None and math.isfinite(float(curve[0])) else None
            inside = None
            if theory is not None and interval.finite and interval.high > interval.low:
                inside = bool(interval.contains(theory))
            rows.append({"setting": name, "title": chapter.title, "chapter": chapter.chapter, "shape": view.shape,
                         "where": cell_text(view, values), "hue": view.hue, "value": value, "t": T,
                         "interval": interval, "mean": interval.centre, "low": interval.low,
                         "high": interval.high, "theory": theory, "inside": inside})
    return pd.DataFrame(rows)


def _interval_cell(interval: stats.Interval) -> str:
    if not interval.finite:
        return nowrap(escape(format_value(interval.centre)))
    if interval.high == interval.low:
        return nowrap(escape(format_value(interval.centre))) + small(f"every one of {interval.n} seeds")
    text = f"[{format_value(interval.low)}, {format_value(interval.high)}]"
    return nowrap(escape(format_value(interval.centre))) + small(escape(text), wrap=False) + small(
        f"{interval.n} seeds, {METHOD_LABEL.get(interval.method, interval.method)}", wrap=False)


def last_generation_table(rows: pd.DataFrame) -> str:
    """:func:`last_generation`'s rows as an HTML table for the book's column: the setting
    (linked to its chapter, with what its panel shows), the line, the generation, this
    build's mean with its interval, and the closed form (marked where it lies outside)."""
    out = []
    previous = None
    for _, r in rows.iterrows():
        setting = ""
        if r["setting"] != previous:
            setting = f'<a href="{escape(r["chapter"])}.html">{escape(r["title"])}</a>'
            setting += small(escape(r["shape"] + (f"; {r['where']}" if r["where"] else "")))
            previous = r["setting"]
        known = r["theory"] is not None and math.isfinite(float(r["theory"]))
        theory = nowrap(escape(format_value(float(r["theory"])))) if known else "–"
        if r["inside"] is False:
            theory += small("outside the interval")
        out.append([setting, nowrap(escape(f"{r['hue']} = {r['value']}")), escape(r["t"]),
                    _interval_cell(r["interval"]), theory])
    columns = [("setting", "left"), ("line", "left"), ("t", "right"), ("this build, 95% interval", "right"),
               ("theory", "right")]
    return html_table(columns, out)


def theory_phrase(rows: pd.DataFrame) -> str:
    """One sentence on how often the closed form lies inside this build's interval in
    :func:`last_generation`'s rows, with what chance alone would give."""
    judged = rows[rows["inside"].isin([True, False])] if len(rows) else rows
    total = len(judged)
    if total == 0:
        return "No line shown has a closed form to set beside it."
    outside = judged[judged["inside"] == False]  # noqa: E712 -- a column of True/False/None
    lines = "the one line that has one" if total == 1 else "both lines that have one" if total == 2 else \
        f"all {number_word(total)} lines that have one"
    if outside.empty:
        return f"The closed form lies inside this build's 95% interval on {lines}."
    where = join_words([f"{title} at {group['hue'].iloc[0]} = {join_words([str(v) for v in group['value']])}"
                        for title, group in outside.groupby("title", sort=False)])
    chance = f"; chance alone would put about {format_value(0.05 * total, 2)} outside" if total > 1 else ""
    if len(outside) == total:
        return f"The closed form lies outside this build's 95% interval on {lines} ({where}){chance}."
    return (f"The closed form lies outside this build's 95% interval on {number_word(len(outside))} of the "
            f"{number_word(total)} lines that have one ({where}){chance}.")


def summary_markdown(entries: Sequence[Entry]) -> str:
    """The views' summaries (one sentence each, with this build's numbers) as a Markdown list."""
    return "\n".join(f"- {view.summary(runs)}" for _, view, runs, _ in entries if view.summary is not None)


# --- the comparison of Accumulate-Subsample ------------------------------------------------------

def comparison_figure(runs: pd.DataFrame, specs: Sequence[Any], *, bounded: Iterable[str] = (),
                      ncols: int = 2, panel_height: float = 2.6) -> tuple[plt.Figure, np.ndarray]:
    """:func:`collapse_lib.compare.run_comparison`'s runs, one panel per spec, the three
    workflows on each (mean over seeds, 95% band): a ratio on a log axis with pi^2/6 where
    the setting declares Accumulate's bound (``bounded``), an excess on a linear axis."""
    bounded = set(bounded)
    cols = max(1, min(ncols, len(specs)))
    rows = max(1, math.ceil(len(specs) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(plotting.MAX_WIDTH, panel_height * rows), layout="constrained",
                             squeeze=False)
    for ax, spec in zip(axes.flat, specs):
        plotting.compare_workflows(ax, runs[runs["setting"] == spec.setting], "normalised")
        if spec.normalise == "ratio":
            log_axis(ax)
            if spec.setting in bounded:
                ax.axhline(PI2_OVER_6, color="0.3", lw=0.8, ls=(0, (5, 3)), label=r"$\pi^2/6$")
            ax.set_ylabel("error / first-fit error")
        else:
            ax.set_ylabel(f"excess over $t = 1$ ({spec.unit})" if spec.unit else "excess over $t = 1$")
        ax.set_title(spec.label + (f"\n{spec.where}" if spec.where else ""), fontsize=9)
    handles: dict[str, Any] = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    plotting.hide_empty(axes)
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=len(handles), fontsize=8)
    return fig, axes


def _level_text(row: pd.Series) -> str:
    return f"{format_value(row['level'])} [{format_value(row['low'])}, {format_value(row['high'])}]"


def levels_table(levels: pd.DataFrame, specs: Sequence[Any]) -> str:
    """:func:`collapse_lib.compare.plateau_levels` of the comparison as an HTML table: per
    setting and workflow, the value at the generation ``at`` and the level over the last
    generations with its 95% interval."""
    label = {s.setting: s for s in specs}
    at = int(levels["at_generation"].iloc[0])
    first, last = int(levels["first_generation"].iloc[0]), int(levels["last_generation"].iloc[0])
    out = []
    previous = None
    for _, r in levels.iterrows():
        spec = label[r["setting"]]
        setting = ""
        if r["setting"] != previous:
            unit = "ratio to the first fit" if spec.normalise == "ratio" else \
                f"excess over the first fit{f' ({spec.unit})' if spec.unit else ''}"
            setting = escape(spec.label) + small(escape(unit + (f"; {spec.where}" if spec.where else "")))
            if "why" in spec.extra:
                setting += small(escape(f"not at the common n: {spec.extra['why']}"))
            previous = r["setting"]
        out.append([setting, escape(plotting.WORKFLOW_LABEL.get(r["workflow"], r["workflow"])),
                    nowrap(escape(format_value(r["at_value"]))),
                    nowrap(escape(format_value(r["level"]))) + small(
                        escape(f"[{format_value(r['low'])}, {format_value(r['high'])}]"), wrap=False)])
    columns = [("setting", "left"), ("workflow", "left"), (f"t = {at}", "right"),
               (f"level, t = {first}–{last}", "right")]
    return html_table(columns, out)


def level_sentence(levels: pd.DataFrame, specs: Sequence[Any], workflow: str = "accumulate-subsample") -> str:
    """A sentence giving ``workflow``'s level in the settings measured by a ratio, beside the
    other workflows' (for the chapter's prose)."""
    ratio = [s for s in specs if s.normalise == "ratio"]
    if not ratio:
        return "No setting of this comparison is measured by a ratio to its first fit."
    names = {s.setting: _title(s) for s in ratio}
    part_ = levels[levels["setting"].isin(names)]
    mine = part_[part_["workflow"] == workflow]
    first, last = int(levels["first_generation"].iloc[0]), int(levels["last_generation"].iloc[0])
    label = plotting.WORKFLOW_LABEL[workflow]
    each = "; ".join(f"{names[r['setting']]} {_level_text(r)}" for _, r in mine.iterrows())
    span = _span(mine["level"])
    others = []
    for wf in (w for w in plotting.WORKFLOW_LABEL if w != workflow):
        other = part_[part_["workflow"] == wf]["level"]
        if len(other):
            others.append(f"{plotting.WORKFLOW_LABEL[wf]}'s {_span(other)}")
    setting_count = count_words(len(mine), "setting")
    where = "in the one setting" if len(mine) == 1 else f"in the {setting_count}"
    return (f"Over generations {first}–{last}, {label} sat at {span} times the first fit {where} measured by a "
            f"ratio ({each}), against {join_words(others)}.")


def excess_sentence(levels: pd.DataFrame, specs: Sequence[Any], workflow: str = "accumulate-subsample") -> str:
    """A sentence for each setting measured by its excess over the first fit: where
    ``workflow`` and Accumulate stood at the generation ``at`` and over the last generations
    ("" when no setting is measured so)."""
    out = []
    for spec in (s for s in specs if s.normalise == "excess"):
        part_ = levels[levels["setting"] == spec.setting].set_index("workflow")
        if workflow not in part_.index:
            continue
        at = int(part_["at_generation"].iloc[0])
        window = f"{int(part_['first_generation'].iloc[0])}–{int(part_['last_generation'].iloc[0])}"
        unit = f" {spec.unit}" if spec.unit else ""
        where = f" ({spec.where})" if spec.where else ""
        text = (f"The {_metric(spec)} of {_title(spec)}{where}, measured by its excess over the first fit, went "
                f"from {format_value(part_.loc[workflow, 'at_value'])}{unit} at generation {at} to "
                f"{_level_text(part_.loc[workflow])}{unit} over generations {window} under "
                f"{plotting.WORKFLOW_LABEL[workflow]}")
        if "accumulate" in part_.index and workflow != "accumulate":
            text += (f" (Accumulate: from {format_value(part_.loc['accumulate', 'at_value'])} to "
                     f"{_level_text(part_.loc['accumulate'])})")
        out.append(text + ".")
    return " ".join(out)


def ordering_sentence(runs: pd.DataFrame, specs: Sequence[Any]) -> str:
    """Whether the paper's order of the workflows at the last generation with runs of all
    three (Replace worst,
    Accumulate best, Accumulate-Subsample between) holds in each setting of the comparison,
    by paired differences over seeds (:func:`collapse_lib.stats.paired_difference`: every
    workflow of a seed starts from the same first fit): *holds* where both intervals lie
    above zero, *reversed* where one lies below, *not resolved* otherwise."""
    verdicts: dict[str, list[str]] = {"holds": [], "reversed": [], "not resolved": []}
    for spec in specs:
        part_ = runs[runs["setting"] == spec.setting]
        if set(part_["workflow"]) != set(plotting.WORKFLOW_LABEL):
            continue
        name = _title(spec)
        # the last generation where at least two seeds have all three workflows (a chain that
        # ends early, as logistic regression's does at separation, leaves later ones empty)
        wide = part_.pivot_table(index=["generation", "seed"], columns="workflow", values="value")
        wide = wide.reindex(columns=list(plotting.WORKFLOW_LABEL)).dropna()
        sizes = wide.groupby(level="generation").size()
        if not (sizes >= 2).any():
            verdicts["not resolved"].append(name)
            continue
        last = wide.xs(int(sizes[sizes >= 2].index.max()), level="generation")
        steps = [stats.paired_difference(last["replace"], last["accumulate-subsample"]),
                 stats.paired_difference(last["accumulate-subsample"], last["accumulate"])]
        if all(s.low > 0 for s in steps):
            verdicts["holds"].append(name)
        elif any(s.high < 0 for s in steps):
            verdicts["reversed"].append(name)
        else:
            verdicts["not resolved"].append(name)
    total = sum(len(v) for v in verdicts.values())
    if total == 0:
        return "No setting ran all three workflows here."
    order = "Replace worst, Accumulate best and Accumulate-Subsample between"
    held = verdicts["holds"]
    if len(held) == total:
        text = ("At the last generation with runs of all three workflows the paper's order, "
                f"{order}, holds beyond seed noise in "
                f"{'the one setting' if total == 1 else 'all ' + count_words(total, 'setting')} "
                "(paired differences over seeds, 95% intervals above zero).")
        return text
    parts = []
    if held:
        parts.append(f"holds beyond seed noise in {join_words(held)}")
    if verdicts["not resolved"]:
        parts.append(f"is not resolved at this size in {join_words(verdicts['not resolved'])} (a 95% interval "
                     "includes zero)")
    if verdicts["reversed"]:
        parts.append(f"is reversed in {join_words(verdicts['reversed'])}")
    return ("At the last generation with runs of all three workflows the paper's order, "
            f"{order}, {join_words(parts)}; each step is judged by "
            "the paired differences over seeds.")


def verdict_sentence(rows: pd.DataFrame, noun: str = "reference number", plural: str | None = None) -> str:
    """How many claim rows (:data:`collapse_lib.verdicts.ROW_COLUMNS`) got each verdict, as a
    person writes it: ``"Of the five reference numbers, two are reproduced and three were
    not run at this scale."``"""
    total = len(rows)
    plural = plural or noun + "s"
    if total == 0:
        return f"No {noun} applies here."
    words = {"reproduced": ("is reproduced", "are reproduced"), "consistent": ("is consistent", "are consistent"),
             "differs": ("differs", "differ"),
             "not run at this scale": ("was not run at this scale", "were not run at this scale")}
    counts = {word: int((rows["verdict"] == word).sum()) for word in words}
    if total == 1:
        word = next((w for w, c in counts.items() if c), str(rows["verdict"].iloc[0]))
        return f"The one {noun} {words.get(word, (word,))[0]}."
    if counts["not run at this scale"] == total:
        return f"None of the {number_word(total)} {plural} was run at this scale."
    parts = [f"{number_word(c)} {words[w][0] if c == 1 else words[w][1]}" for w, c in counts.items() if c]
    return f"Of the {number_word(total)} {plural}, {join_words(parts)}."


def _title(spec: Any) -> str:
    """The setting's name in a spec's label (its chapter's title)."""
    return spec.label.split(": ", 1)[0]


def _metric(spec: Any) -> str:
    """The metric's name in a spec's label."""
    return spec.label.split(": ", 1)[-1]


def spec_text(spec: Any) -> str:
    """``"Multivariate Gaussians (mean error, d = 10)"``: a compared setting, its metric and cell."""
    return f"{_title(spec)} ({_metric(spec)}{', ' + spec.where if spec.where else ''})"


def instead_sentence(specs: Sequence[Any], n: int) -> str:
    """A sentence naming the compared settings that run at their chapter's own ``n`` because
    their parameter check refuses ``n`` (:func:`collapse_lib.compare.headline_specs`; the
    table of :func:`levels_table` gives the reason); "" when every setting runs at ``n``."""
    moved = [spec for spec in specs if "instead" in spec.extra]
    if not moved:
        return ""
    if len(moved) == 1:
        return (f"{_title(moved[0])} runs at its chapter's cell instead, {moved[0].extra['instead']}: its parameter "
                f"check refuses n = {n} (the table below gives the reason).")
    names = join_words([f"{_title(spec)} ({spec.extra['instead']})" for spec in moved])
    return (f"{names} run at their chapters' cells instead: their parameter checks refuse n = {n} (the table "
            "below gives the reasons).")


def spec_phrase(spec: Any) -> str:
    """``"the mean error of Multivariate Gaussians"``: a compared setting's metric, in prose."""
    return f"the {_metric(spec)} of {_title(spec)}"


def _span(values: pd.Series) -> str:
    low, high = float(values.min()), float(values.max())
    if format_value(low, 2) == format_value(high, 2):
        return format_value(low, 2)
    return f"{format_value(low, 2)} to {format_value(high, 2)}"


def plateau_table(levels: pd.DataFrame, *, approximation: str = "heuristic") -> str:
    """The Gaussian plateau grid (:func:`collapse_lib.settings.gaussian.claims.plateau_grid`)
    as an HTML table: per (d, n) the measured level with its 95% interval, the approximation
    at the last generation, its relative error against the level, and whether the level's
    interval holds it."""
    out = []
    T = int(levels["last_generation"].iloc[0])
    for _, r in levels.iterrows():
        heuristic = float(r[approximation])
        held = r["low"] <= heuristic <= r["high"]
        out.append([escape(f"d = {int(r['d'])}"), escape(f"n = {int(r['n'])}"),
                    nowrap(escape(format_value(r["level"]))) + small(
                        escape(f"[{format_value(r['low'])}, {format_value(r['high'])}]"), wrap=False),
                    nowrap(escape(format_value(heuristic))),
                    nowrap(escape(f"{100 * float(r[approximation + '_error']):+.1f}%"))
                    + ("" if held else small("outside the interval"))])
    columns = [("d", "left"), ("n", "left"), ("plateau, 95% interval", "right"), (f"approximation, t = {T}", "right"),
               ("its error", "right")]
    return html_table(columns, out)
