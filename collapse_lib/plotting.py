"""The book's one plotting style (every chapter's figures come from here).

* Workflows keep one colour, line style and marker everywhere (Okabe-Ito, colour-blind
  safe): Replace vermillion solid, Accumulate-Subsample purple dash-dot, Accumulate blue
  dotted.
* A hue such as ``n`` uses a sequential palette (light = small, dark = large).
* Simulations: the mean over seeds as a line, with a band: by default the 95% interval of
  that mean, computed in log space for a positive metric, so it never reaches zero or
  leaves a log axis (:func:`summarise` says how). Theory: a thin dashed line in the same
  colour, on the same axes, named "theory" in the legend.
* Readable at the book's text column (688 px): figures at most :data:`MAX_WIDTH` inches wide
  with fonts of 9 pt or more (a 9 pt label on a 7 in figure shows about 12 px high), integer
  ticks on generation axes, legends outside the panels, no empty panels.

Nothing happens on import; a chapter calls :func:`book_style` once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from . import stats
from .registry import get_setting
from .theory import expected
from .workflows import WORKFLOWS, training_composition

__all__ = [
    "WORKFLOW_STYLE",
    "WORKFLOW_LABEL",
    "THEORY_STYLE",
    "MAX_WIDTH",
    "book_style",
    "hue_palette",
    "summarise",
    "mean_band",
    "theory_line",
    "theory_handle",
    "integer_ticks",
    "hide_empty",
    "workflow_grid",
    "workflow_axes",
    "log_rows",
    "setting_theory",
    "compare_workflows",
    "composition_bars",
    "full_resolution",
]

WORKFLOW_LABEL: dict[str, str] = {
    "replace": "Replace",
    "accumulate-subsample": "Accumulate-Subsample",
    "accumulate": "Accumulate",
}

WORKFLOW_STYLE: dict[str, dict[str, Any]] = {
    "replace": {"color": "#D55E00", "linestyle": "-", "marker": "o"},
    "accumulate-subsample": {"color": "#CC79A7", "linestyle": "-.", "marker": "s"},
    "accumulate": {"color": "#0072B2", "linestyle": ":", "marker": "^"},
}

#: Theory curves: dashed, thinner, drawn over the simulation in the series' colour.
THEORY_STYLE: dict[str, Any] = {"linestyle": (0, (5, 3)), "linewidth": 1.2, "alpha": 0.95}

#: The widest figure (inches) that the helpers make: the book's column is 688 px, so a
#: figure of 7 in shows 9 pt text about 12 px high (text of at least ~9 px stays readable).
MAX_WIDTH = 7.0

_RC = {
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "figure.figsize": (6.4, 3.6),
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9,
    "lines.linewidth": 1.8,
}


def book_style() -> None:
    """Apply the book's matplotlib settings (call once at the top of a chapter): fonts of
    9-10 pt, light grid, no top/right spines, frameless legends."""
    mpl.rcParams.update(_RC)


def hue_palette(values: Iterable[Any], cmap: str = "viridis") -> dict[Any, tuple[float, ...]]:
    """Map sorted hue values to colours of a sequential map (light = small)."""
    vals = sorted(set(values))
    colours = mpl.colormaps[cmap](np.linspace(0.85, 0.1, max(len(vals), 2)))
    return {v: tuple(colours[i]) for i, v in enumerate(vals)}


def summarise(frame: pd.DataFrame, y: str, *, x: str = "generation", band: str = "ci95",
              geometric: bool = False, positive: bool | None = None) -> pd.DataFrame:
    """Mean of ``y`` over seeds at each ``x``, with ``lo``/``hi`` of the band (the intervals
    come from :func:`collapse_lib.stats.summarise`).

    ``band``:

    * ``"ci95"`` (default): the 95% interval of the mean (Student's t). For a positive
      metric (every value > 0; ``positive`` overrides the check) it is computed in log
      space by the delta method, ``mean * exp(+-q se / mean)``: to first order the same as
      ``mean +- q se``, but always above zero, so it never leaves a log axis. A metric that
      can be zero or negative gets the plain ``mean +- q se``. A band is a picture of the
      uncertainty; the verdicts use :mod:`collapse_lib.stats`'s methods that cover for
      heavy tails.
    * ``"sd"``: one standard deviation, likewise ``mean * exp(+-sd / mean)`` for a
      positive metric and ``mean +- sd`` otherwise.
    * ``"iqr"``: the quartiles over seeds, with the median as centre (a quantile band:
      inside the range of the data, so positive for a positive metric).
    * ``"none"``: no band.

    With ``geometric=True`` the statistics are taken of log10(y) and mapped back (the
    geometric mean, with the t interval of the mean log), the honest centre for quantities
    spanning decades such as a determinant; the default arithmetic mean is what
    expectations (and so the theory curves) describe. Missing values are dropped.
    """
    values = frame[[x, y]].dropna()
    if geometric:
        values = values[values[y] > 0].assign(**{y: np.log10(values[y])})
    log_band = not geometric and (bool((values[y] > 0).all()) if positive is None else bool(positive))
    if band not in ("ci95", "sd", "iqr", "none"):
        raise ValueError(f"band must be 'ci95', 'sd', 'iqr' or 'none'; got {band!r}")
    grouped = values.groupby(x)[y]
    if band == "iqr":
        centre = grouped.median()
        lo, hi = grouped.quantile(0.25), grouped.quantile(0.75)
    elif band == "ci95":
        table = stats.summarise(values, y, x, method="log-t" if log_band else "t").set_index(x)
        centre, lo, hi = table["mean"], table["lo"], table["hi"]
    else:
        centre = grouped.mean()
        half = grouped.std(ddof=1).fillna(0.0) if band == "sd" else 0.0 * centre
        if log_band:
            factor = np.exp(half / centre.where(centre > 0))
            lo, hi = centre / factor, centre * factor
        else:
            lo, hi = centre - half, centre + half
    out = pd.DataFrame({"centre": centre, "lo": lo, "hi": hi})
    out.index.name = x
    return 10 ** out if geometric else out


def integer_ticks(ax: plt.Axes, axis: str = "x") -> None:
    """Ticks at whole numbers only (generations are integers: no tick at t = 1.5). A log axis
    keeps its own ticks (see :func:`log_generation_axis`)."""
    if (ax.get_xscale() if axis == "x" else ax.get_yscale()) == "log":
        return
    getattr(ax, f"{axis}axis").set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 2.5, 5, 10]))


def mean_band(ax: plt.Axes, frame: pd.DataFrame, y: str, *, x: str = "generation",
              color: Any = "k", label: str | None = None, band: str = "ci95",
              linestyle: Any = "-", log: bool = False, geometric: bool = False,
              alpha: float = 0.2, marker: str | None = None, positive: bool | None = None) -> None:
    """Draw the mean over seeds of ``y`` against ``x`` with a shaded band.

    The band is :func:`summarise`'s (by default the 95% interval of the mean, in log space
    for a positive metric: never below zero). ``log`` sets a logarithmic y axis;
    ``geometric`` averages in log space; ``positive`` (default: whether every value is
    above zero) chooses the log-space band. A generation axis gets integer ticks.
    """
    stats = summarise(frame, y, x=x, band=band, geometric=geometric, positive=positive)
    if x == "generation":
        integer_ticks(ax)
    if stats.empty:
        return
    ax.plot(stats.index, stats["centre"], color=color, linestyle=linestyle, label=label, marker=marker,
            markersize=3.5)
    if band != "none":
        lo = stats["lo"].where(stats["lo"] > 0) if log else stats["lo"]
        ax.fill_between(stats.index, lo, stats["hi"], color=color, alpha=alpha, linewidth=0)
    if log:
        ax.set_yscale("log")


def theory_line(ax: plt.Axes, x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, *,
                color: Any = "k", label: str | None = None) -> None:
    """Draw a closed form as a thin dashed line."""
    ax.plot(x, y, color=color, label=label, **THEORY_STYLE)


def theory_handle(label: str = "theory") -> mpl.lines.Line2D:
    """A legend entry for the theory curves (a grey dashed line): add it once per legend."""
    return mpl.lines.Line2D([], [], color="0.3", label=label, **THEORY_STYLE)


def _add_theory_entry(ax: plt.Axes, label: str | None) -> None:
    """Put one "theory" entry in the axes' legend (once)."""
    if label and label not in ax.get_legend_handles_labels()[1]:
        ax.plot([], [], color="0.3", label=label, **THEORY_STYLE)


TheoryFn = Callable[[str, Any, Any, np.ndarray], "np.ndarray | None"]


def setting_theory(setting: str, y: str, part: pd.DataFrame, workflow: str, t: np.ndarray) -> np.ndarray | None:
    """The closed form of ``y`` (:func:`collapse_lib.theory.expected`) for the cell that
    ``part`` holds: its parameters are read from the frame's columns."""
    names = [k for k in get_setting(setting).params if k in part.columns]
    values = {k: part[k].iloc[0] for k in names}
    return expected(setting, y, workflow, t, **values)


def _plotted_y(ax: plt.Axes, bands: bool) -> list[np.ndarray]:
    """The y values of the lines (and, with ``bands``, the shaded bands) drawn on ``ax``."""
    ys = [np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()]
    if bands:
        for coll in ax.collections:
            if isinstance(coll, mpl.collections.PolyCollection):
                ys.extend(np.asarray(path.vertices[:, 1], dtype=float) for path in coll.get_paths())
    return ys


def log_rows(axes: np.ndarray, *, pad: float = 1.5, bands: bool = True) -> None:
    """Log y axes, one limit per row, wide enough for the plotted curves and (``bands``) their
    bands: the book's bands are positive (:func:`summarise`), so they fit on a log axis."""
    for row in np.atleast_2d(axes):
        ys = [y for ax in row if ax.get_visible() for y in _plotted_y(ax, bands)]
        ys = np.concatenate(ys) if ys else np.array([1.0])
        ys = ys[np.isfinite(ys) & (ys > 0)]
        narrow = ys.size > 0 and ys.max() * pad < 10 * ys.min() / pad  # less than a decade shown
        for ax in row:
            ax.set_yscale("log")
            if not narrow:  # minor labels would crowd a wide axis; a narrow one needs them
                ax.yaxis.set_minor_formatter(NullFormatter())
            if ys.size:
                ax.set_ylim(ys.min() / pad, ys.max() * pad)


def hide_empty(axes: np.ndarray | plt.Axes) -> int:
    """Hide every panel with nothing drawn on it; returns how many were hidden.

    Where a hidden panel was the bottom one of its column in a grid, the visible panel
    above it gets the x tick labels and label instead.
    """
    grid = np.atleast_2d(np.asarray(axes, dtype=object))
    hidden = 0
    for ax in grid.flat:
        if ax.get_visible() and not ax.has_data():
            ax.set_visible(False)
            hidden += 1
    if hidden and grid.shape[0] > 1:
        for j in range(grid.shape[1]):
            column = grid[:, j]
            if column[-1].get_visible():
                continue
            label = next((ax.get_xlabel() for ax in column[::-1] if ax.get_xlabel()), "")
            shown = [ax for ax in column if ax.get_visible()]
            if shown:
                shown[-1].xaxis.set_tick_params(labelbottom=True)
                shown[-1].set_xlabel(label)
    return hidden


def _fit_width(panel_size: tuple[float, float], columns: int, max_width: float | None,
               extra: float = 0.0) -> tuple[float, float]:
    """``panel_size`` shrunk (keeping its aspect) so that ``columns`` panels plus ``extra``
    inches fit in ``max_width`` inches."""
    width, height = panel_size
    if max_width is not None and width * columns + extra > max_width:
        scale = (max_width - extra) / (width * columns)
        width, height = width * scale, height * max(scale, 0.8)
    return width, height


def workflow_axes(n_rows: int = 1, *, workflows: Sequence[str] = WORKFLOWS,
                  panel_size: tuple[float, float] = (2.3, 2.0), sharey: str | bool = "row",
                  sharex: bool = True, max_width: float | None = MAX_WIDTH) -> tuple[plt.Figure, np.ndarray]:
    """An empty grid in the paper's layout: one column per workflow (titled in its colour),
    ``n_rows`` rows; returns ``(figure, axes)`` with axes of shape (n_rows, len(workflows)).

    Panels are narrowed (keeping their height within 80%) so that the figure is at most
    ``max_width`` inches wide, readable in the book's column; ``max_width=None`` keeps
    ``panel_size`` as given.
    """
    width, height = _fit_width(panel_size, len(workflows), max_width)
    fig, axes = plt.subplots(n_rows, len(workflows), squeeze=False, sharex=sharex, sharey=sharey,
                             figsize=(width * len(workflows), height * n_rows),
                             layout="constrained")
    for ax, wf in zip(axes[0], workflows, strict=True):
        ax.set_title(WORKFLOW_LABEL[wf], color=WORKFLOW_STYLE[wf]["color"])
    return fig, axes


def _figure_legend(fig: plt.Figure, handles: list[Any], labels: list[str], where: str) -> None:
    """One legend for the whole figure: below the panels (default) or right of them."""
    if not handles:
        return
    if where == "right":
        fig.legend(handles, labels, loc="outside right center")
    else:
        ncol = min(len(labels), 6 if max(len(lab) for lab in labels) <= 12 else 3)
        fig.legend(handles, labels, loc="outside lower center", ncol=ncol, columnspacing=1.2,
                   handlelength=2.2)


def workflow_grid(frame: pd.DataFrame, y: str, *, hue: str = "n", row: str | None = None,
                  theory: TheoryFn | str | None = None, log: bool = False, geometric: bool = False,
                  ylabel: str | None = None,
                  band: str = "ci95", x: str = "generation", sharey: str | bool = "row",
                  panel_size: tuple[float, float] = (2.3, 2.0),
                  workflows: Sequence[str] = WORKFLOWS, legend: str = "below",
                  max_width: float | None = MAX_WIDTH, positive: bool | None = None
                  ) -> tuple[plt.Figure, np.ndarray]:
    """The paper's figure layout: columns Replace | Accumulate-Subsample | Accumulate.

    One line per ``hue`` value (mean over seeds and a band, see :func:`summarise`), one row
    per ``row`` value; ``log`` makes the y axis logarithmic, ``geometric`` averages in log
    space. ``theory(workflow, row_value, hue_value, t)`` may return the expected curve (or
    None), drawn dashed in the line's colour; ``theory="gaussian"`` (a setting name) draws
    that setting's closed forms (:func:`collapse_lib.theory.expected`) with each cell's
    parameters read from the frame. One legend for the figure (``legend="below"`` the
    panels, or ``"right"``), with a "theory" entry when theory is drawn. Panels with no
    data are hidden; the figure is at most ``max_width`` inches wide. ``positive=False``
    asks for plain (symmetric) bands for a metric that may change sign.
    """
    rows = [None] if row is None else sorted(frame[row].unique())
    present = [w for w in workflows if w in set(frame["workflow"])]
    fig, axes = workflow_axes(len(rows), workflows=present, panel_size=panel_size, sharey=sharey,
                              max_width=max_width)
    palette = hue_palette(frame[hue].unique())
    drew_theory = False
    for i, rv in enumerate(rows):
        sub_r = frame if row is None else frame[frame[row] == rv]
        for j, wf in enumerate(present):
            ax = axes[i, j]
            sub = sub_r[sub_r["workflow"] == wf]
            for hv, colour in palette.items():
                part = sub[sub[hue] == hv]
                if part.empty:
                    continue
                mean_band(ax, part, y, x=x, color=colour, label=f"{hue} = {hv}", band=band, log=log,
                          geometric=geometric, positive=positive)
                if theory is not None:
                    ts = np.sort(part[x].unique())
                    curve = setting_theory(theory, y, part, wf, ts) if isinstance(theory, str) \
                        else theory(wf, rv, hv, ts)
                    if curve is not None:
                        theory_line(ax, ts, curve, color=colour)
                        drew_theory = True
            if x == "generation":
                integer_ticks(ax)
            if i == len(rows) - 1:
                ax.set_xlabel("generation $t$" if x == "generation" else x)
            if j == 0:
                label = ylabel or y
                ax.set_ylabel(label if row is None else f"{label}\n({row} = {rv})")
    handles: dict[str, Any] = {}
    for ax in axes.flat:  # every hue value that appears anywhere, once
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(lab, h)
    order = [f"{hue} = {hv}" for hv in palette]
    labels = [lab for lab in order if lab in handles]
    entries = [handles[lab] for lab in labels]
    if drew_theory:
        entries.append(theory_handle())
        labels.append("theory")
    hide_empty(axes)
    _figure_legend(fig, entries, labels, legend)
    return fig, axes


def compare_workflows(ax: plt.Axes, frame: pd.DataFrame, y: str, *, x: str = "generation",
                      theory: Callable[[str, np.ndarray], np.ndarray | None] | str | None = None,
                      log: bool = False, geometric: bool = False, band: str = "ci95",
                      workflows: Sequence[str] = WORKFLOWS, theory_label: str | None = "theory") -> None:
    """All workflows on one axes, each in its fixed colour and line style.

    ``theory(workflow, t)`` may give the expected curve; a setting name draws that
    setting's closed forms for the (single) cell in ``frame``. When a theory curve is drawn
    the axes' legend gets one grey dashed entry named ``theory_label`` (None: none).
    """
    drew_theory = False
    for wf in workflows:
        part = frame[frame["workflow"] == wf]
        if part.empty:
            continue
        style = WORKFLOW_STYLE[wf]
        mean_band(ax, part, y, x=x, color=style["color"], linestyle=style["linestyle"],
                  label=WORKFLOW_LABEL[wf], band=band, log=log, geometric=geometric)
        if theory is not None:
            ts = np.sort(part[x].unique())
            curve = setting_theory(theory, y, part, wf, ts) if isinstance(theory, str) else theory(wf, ts)
            if curve is not None:
                theory_line(ax, ts, curve, color=style["color"])
                drew_theory = True
    if drew_theory:
        _add_theory_entry(ax, theory_label)
    if x == "generation":
        integer_ticks(ax)
    ax.set_xlabel("generation $t$" if x == "generation" else x)
    ax.set_ylabel(y)


def composition_bars(ax: plt.Axes, workflow: str, n: int, n_generations: int) -> None:
    """Stacked bars: what generation t trains on, by source (real data, then model_1, ...).

    Real data are black; synthetic sources are grey, darker for newer models.
    """
    cmap = mpl.colormaps["Greys"]
    for t in range(1, n_generations + 1):
        counts = training_composition(workflow, t, n)
        bottom = 0.0
        for j, c in enumerate(counts):
            if c == 0:
                continue
            colour = "#000000" if j == 0 else cmap(0.25 + 0.5 * j / max(n_generations - 1, 1))
            ax.bar(t, c, bottom=bottom, color=colour, edgecolor="white", linewidth=0.5, width=0.8)
            bottom += c
    ax.set_title(WORKFLOW_LABEL[workflow], color=WORKFLOW_STYLE[workflow]["color"])
    ax.set_xlabel("generation $t$")
    ax.set_xticks(range(1, n_generations + 1))


def facet_grid(frame: pd.DataFrame, y: str, *, row: str, col: str, hue: str = "n", ylabel: str | None = None,
               log: bool = False, band: str = "ci95", x: str = "generation", title: str | None = None,
               title_color: Any = None, limits_from: pd.DataFrame | None = None,
               panel_size: tuple[float, float] = (2.3, 1.7), max_width: float | None = MAX_WIDTH,
               legend: str = "below") -> tuple[plt.Figure, np.ndarray]:
    """One row per ``row`` value, one column per ``col`` value, one line per ``hue`` value
    (mean over seeds with :func:`summarise`'s band): a grid for one workflow (chapter
    *Kernel density estimation*: one figure per workflow, columns the bandwidths).

    ``limits_from`` (a frame holding this one, e.g. every workflow's results) sets each
    row's y limits from all of its curves and bands, so that several such figures share
    their axes and can be compared panel by panel. ``title`` (in ``title_color``) heads the
    figure; the legend goes below the panels (or ``"right"``); at most ``max_width`` inches.
    """
    rows = sorted(frame[row].unique())
    cols = sorted(frame[col].unique())
    width, height = _fit_width(panel_size, len(cols), max_width)
    fig, axes = plt.subplots(len(rows), len(cols), squeeze=False, sharex=True, sharey="row",
                             figsize=(width * len(cols), height * len(rows)), layout="constrained")
    palette = hue_palette(frame[hue].unique())
    for i, rv in enumerate(rows):
        for j, cv in enumerate(cols):
            ax = axes[i, j]
            _hue_lines(ax, frame[(frame[row] == rv) & (frame[col] == cv)], y, hue=hue, palette=palette, x=x,
                       band=band, log=log)
            if i == 0:
                ax.set_title(f"{col} = {cv}")
            if i == len(rows) - 1:
                ax.set_xlabel("generation $t$" if x == "generation" else x)
            if j == 0:
                ax.set_ylabel(f"{ylabel or y}\n({rv})")
            if x == "generation":
                integer_ticks(ax)
    if log:
        log_rows(axes)
    if limits_from is not None:
        keys = [k for k in (col, hue, "workflow", x) if k in limits_from.columns]
        _share_row_limits(axes, limits_from, rows, row=row, y=y, keys=keys, band=band, log=log)
    hide_empty(axes)
    labels = [f"{hue} = {hv}" for hv in palette]
    handles = _legend_handles(axes)
    order = [lab for lab in labels if lab in handles]
    _figure_legend(fig, [handles[lab] for lab in order], order, legend)
    if title:
        fig.suptitle(title, color=title_color)
    return fig, axes


__all__ += ["facet_grid"]


def _hue_lines(ax: plt.Axes, cell: pd.DataFrame, y: str, *, hue: str, palette: dict[Any, Any], x: str,
               band: str, log: bool) -> None:
    """One mean line with its band per ``hue`` value present in ``cell``, in ``palette``'s colours."""
    for hv, colour in palette.items():
        part = cell[cell[hue] == hv]
        if not part.empty:
            mean_band(ax, part, y, x=x, color=colour, label=f"{hue} = {hv}", band=band, log=log)


def _share_row_limits(axes: np.ndarray, limits_from: pd.DataFrame, rows: list[Any], *, row: str, y: str,
                      keys: list[str], band: str, log: bool) -> None:
    """Each row's y limits from every curve and band of ``limits_from`` in that row (one
    summary point per ``keys`` cell), so that figures drawn from parts of it share axes."""
    for i, rv in enumerate(rows):
        part = limits_from.loc[limits_from[row] == rv, keys + [y]]
        # one summary over every (col, hue, workflow, x) cell at once: each is one point of a curve
        cells = part.assign(_cell=part.groupby(keys, sort=False).ngroup())
        values = summarise(cells, y, x="_cell", band=band)[["centre", "lo", "hi"]].to_numpy().ravel() \
            if len(cells) else np.array([])
        values = values[np.isfinite(values) & ((values > 0) if log else True)]
        if values.size:
            lo, hi = values.min(), values.max()
            if log:
                axes[i, 0].set_ylim(lo / 1.3, hi * 1.3)
            else:
                pad = 0.05 * (hi - lo or 1.0)
                axes[i, 0].set_ylim(lo - pad, hi + pad)


def _legend_handles(axes: np.ndarray) -> dict[str, Any]:
    """Every label drawn on ``axes`` with its first handle (the top-left panel's first)."""
    handles, labels = axes[0, 0].get_legend_handles_labels()
    seen = dict(zip(labels, handles, strict=True))
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(lab, h)
    return seen


def log_generation_axis(axes: np.ndarray | plt.Axes, n_generations: int) -> None:
    """A logarithmic generation axis labelled with plain whole numbers: 1, 2, 5, 10, 20, 50,
    100 up to two decades of generations, 1, 10, 100, 1000 beyond (chapters *Linear
    regression* and *Discrete distributions*, and the KDE's long runs)."""
    subs = (1.0, 2.0, 5.0) if n_generations <= 150 else (1.0,)
    for ax in np.atleast_1d(np.asarray(axes, dtype=object)).flat:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=subs))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())


__all__ += ["log_generation_axis"]


def full_resolution(fig: plt.Figure, dpi: float = 200) -> plt.Figure:
    """Render ``fig`` at ``dpi`` (pixels per inch) instead of the screen's 100, for a large grid
    that the book shows at the column's width with a click to the full image (give its cell
    ``mystnb: {"image": {"width": "100%"}}``): the page shows it as before, the click opens
    it twice as sharp. Returns the figure."""
    fig.set_dpi(dpi)
    return fig
