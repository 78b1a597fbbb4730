"""The book's one plotting style (every chapter's figures come from here).

* Workflows keep one colour, line style and marker everywhere (Okabe-Ito, colour-blind
  safe): Replace vermillion solid, Accumulate-Subsample purple dash-dot, Accumulate blue
  dotted.
* A hue such as ``n`` uses a sequential palette (light = small, dark = large).
* Simulations: the mean over seeds as a line, with a band (95% interval of the mean by
  default). Theory: a thin dashed line in the same colour, on the same axes.

Nothing happens on import; a chapter calls :func:`book_style` once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .workflows import WORKFLOWS

__all__ = [
    "WORKFLOW_STYLE",
    "WORKFLOW_LABEL",
    "THEORY_STYLE",
    "book_style",
    "hue_palette",
    "summarise",
    "mean_band",
    "theory_line",
    "workflow_grid",
    "workflow_axes",
    "log_rows",
    "setting_theory",
    "compare_workflows",
    "composition_bars",
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

_RC = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "legend.fontsize": 8,
    "lines.linewidth": 1.8,
}


def book_style() -> None:
    """Apply the book's matplotlib settings (call once at the top of a chapter)."""
    mpl.rcParams.update(_RC)


def hue_palette(values: Iterable[Any], cmap: str = "viridis") -> dict[Any, tuple[float, ...]]:
    """Map sorted hue values to colours of a sequential map (light = small)."""
    vals = sorted(set(values))
    colours = mpl.colormaps[cmap](np.linspace(0.85, 0.1, max(len(vals), 2)))
    return {v: tuple(colours[i]) for i, v in enumerate(vals)}


def summarise(frame: pd.DataFrame, y: str, *, x: str = "generation", band: str = "ci95",
              geometric: bool = False) -> pd.DataFrame:
    """Mean of ``y`` over seeds at each ``x``, with ``lo``/``hi`` of the band.

    ``band``: ``"ci95"`` (mean +- 1.96 standard errors), ``"sd"`` (+- one standard
    deviation), ``"iqr"`` (quartiles, with the median as centre) or ``"none"``. With
    ``geometric=True`` the statistics are taken of log10(y) and mapped back (geometric
    mean), the honest centre for quantities spanning decades such as a determinant; the
    default arithmetic mean is what expectations (and so the theory curves) describe.
    Missing values (undefined metrics) are dropped.
    """
    values = frame[[x, y]].dropna()
    if geometric:
        values = values[values[y] > 0].assign(**{y: np.log10(values[y])})
    grouped = values.groupby(x)[y]
    if band == "iqr":
        centre = grouped.median()
        lo, hi = grouped.quantile(0.25), grouped.quantile(0.75)
    else:
        centre = grouped.mean()
        if band == "ci95":
            half = 1.96 * grouped.std(ddof=1).fillna(0.0) / np.sqrt(grouped.count())
        elif band == "sd":
            half = grouped.std(ddof=1).fillna(0.0)
        elif band == "none":
            half = 0.0 * centre
        else:
            raise ValueError(f"band must be 'ci95', 'sd', 'iqr' or 'none'; got {band!r}")
        lo, hi = centre - half, centre + half
    out = pd.DataFrame({"centre": centre, "lo": lo, "hi": hi})
    return 10 ** out if geometric else out


def mean_band(ax: plt.Axes, frame: pd.DataFrame, y: str, *, x: str = "generation",
              color: Any = "k", label: str | None = None, band: str = "ci95",
              linestyle: Any = "-", log: bool = False, geometric: bool = False,
              alpha: float = 0.2) -> None:
    """Draw the mean over seeds of ``y`` against ``x`` with a shaded band.

    ``log`` sets a logarithmic y axis; ``geometric`` averages in log space (see
    :func:`summarise`).
    """
    stats = summarise(frame, y, x=x, band=band, geometric=geometric)
    if stats.empty:
        return
    ax.plot(stats.index, stats["centre"], color=color, linestyle=linestyle, label=label)
    if band != "none":
        lo = stats["lo"].where(stats["lo"] > 0) if log else stats["lo"]
        ax.fill_between(stats.index, lo, stats["hi"], color=color, alpha=alpha, linewidth=0)
    if log:
        ax.set_yscale("log")


def theory_line(ax: plt.Axes, x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, *,
                color: Any = "k", label: str | None = None) -> None:
    """Draw a closed form as a thin dashed line."""
    ax.plot(x, y, color=color, label=label, **THEORY_STYLE)


TheoryFn = Callable[[str, Any, Any, np.ndarray], "np.ndarray | None"]


def setting_theory(setting: str, y: str, part: pd.DataFrame, workflow: str, t: np.ndarray) -> np.ndarray | None:
    """The closed form of ``y`` (:func:`collapse_lib.theory.expected`) for the cell that
    ``part`` holds: its parameters are read from the frame's columns."""
    from .setting import get_setting
    from .theory import expected

    names = [k for k in get_setting(setting).params if k in part.columns]
    values = {k: part[k].iloc[0] for k in names}
    return expected(setting, y, workflow, t, **values)


def log_rows(axes: np.ndarray, *, pad: float = 1.5) -> None:
    """Log y axes, with one limit per row taken from the plotted mean curves (not from the
    bands: a 95% band over a few heavy-tailed seeds may reach below zero, which a log axis
    cannot show)."""
    from matplotlib.ticker import NullFormatter

    for row in np.atleast_2d(axes):
        ys = [np.asarray(line.get_ydata(), dtype=float) for ax in row for line in ax.get_lines()]
        ys = np.concatenate(ys) if ys else np.array([1.0])
        ys = ys[np.isfinite(ys) & (ys > 0)]
        narrow = ys.size > 0 and ys.max() * pad < 10 * ys.min() / pad  # less than a decade shown
        for ax in row:
            ax.set_yscale("log")
            if not narrow:  # minor labels would crowd a wide axis; a narrow one needs them
                ax.yaxis.set_minor_formatter(NullFormatter())
            if ys.size:
                ax.set_ylim(ys.min() / pad, ys.max() * pad)


def workflow_axes(n_rows: int = 1, *, workflows: Sequence[str] = WORKFLOWS,
                  panel_size: tuple[float, float] = (3.6, 2.6), sharey: str | bool = "row",
                  sharex: bool = True) -> tuple[plt.Figure, np.ndarray]:
    """An empty grid in the paper's layout: one column per workflow (titled in its colour),
    ``n_rows`` rows; returns ``(figure, axes)`` with axes of shape (n_rows, len(workflows))."""
    fig, axes = plt.subplots(n_rows, len(workflows), squeeze=False, sharex=sharex, sharey=sharey,
                             figsize=(panel_size[0] * len(workflows), panel_size[1] * n_rows),
                             layout="constrained")
    for ax, wf in zip(axes[0], workflows, strict=True):
        ax.set_title(WORKFLOW_LABEL[wf], color=WORKFLOW_STYLE[wf]["color"])
    return fig, axes


def workflow_grid(frame: pd.DataFrame, y: str, *, hue: str = "n", row: str | None = None,
                  theory: TheoryFn | str | None = None, log: bool = False, geometric: bool = False,
                  ylabel: str | None = None,
                  band: str = "ci95", x: str = "generation", sharey: str | bool = "row",
                  panel_size: tuple[float, float] = (3.6, 2.6),
                  workflows: Sequence[str] = WORKFLOWS) -> tuple[plt.Figure, np.ndarray]:
    """The paper's figure layout: columns Replace | Accumulate-Subsample | Accumulate.

    One line per ``hue`` value (mean over seeds and a band), one row per ``row`` value;
    ``log`` makes the y axis logarithmic, ``geometric`` averages in log space.
    ``theory(workflow, row_value, hue_value, t)`` may return the expected curve (or None),
    drawn dashed in the line's colour; ``theory="gaussian"`` (a setting name) draws that
    setting's closed forms (:func:`collapse_lib.theory.expected`) with each cell's
    parameters read from the frame. The legend is placed once, right of the last column.
    """
    rows = [None] if row is None else sorted(frame[row].unique())
    present = [w for w in workflows if w in set(frame["workflow"])]
    fig, axes = workflow_axes(len(rows), workflows=present, panel_size=panel_size, sharey=sharey)
    palette = hue_palette(frame[hue].unique())
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
                          geometric=geometric)
                if theory is not None:
                    ts = np.sort(part[x].unique())
                    curve = setting_theory(theory, y, part, wf, ts) if isinstance(theory, str) \
                        else theory(wf, rv, hv, ts)
                    if curve is not None:
                        theory_line(ax, ts, curve, color=colour)
            if i == len(rows) - 1:
                ax.set_xlabel("generation $t$" if x == "generation" else x)
            if j == 0:
                label = ylabel or y
                ax.set_ylabel(label if row is None else f"{label}\n({row} = {rv})")
    handles, labels = axes[0, -1].get_legend_handles_labels()
    if theory is not None:
        handles.append(mpl.lines.Line2D([], [], color="0.3", **THEORY_STYLE))
        labels.append("theory")
    fig.legend(handles, labels, loc="outside right center")
    return fig, axes


def compare_workflows(ax: plt.Axes, frame: pd.DataFrame, y: str, *, x: str = "generation",
                      theory: Callable[[str, np.ndarray], np.ndarray | None] | str | None = None,
                      log: bool = False, geometric: bool = False, band: str = "ci95",
                      workflows: Sequence[str] = WORKFLOWS) -> None:
    """All workflows on one axes, each in its fixed colour and line style.

    ``theory(workflow, t)`` may give the expected curve; a setting name draws that
    setting's closed forms for the (single) cell in ``frame``.
    """
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
    ax.set_xlabel("generation $t$" if x == "generation" else x)
    ax.set_ylabel(y)


def composition_bars(ax: plt.Axes, workflow: str, n: int, n_generations: int) -> None:
    """Stacked bars: what generation t trains on, by source (real data, then model_1, ...).

    Real data are black; synthetic sources are grey, darker for newer models.
    """
    from .workflows import training_composition

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
