"""The paper's numbers, in one place, and the one table that sets a run beside them.

Every number here was read off the paper's figures or its authors' result files (Kazdan et
al. 2025; the later linear-regression and discrete results from their public code): these
are the *targets* the book's runs are compared with, never results of this book.
:func:`compare` builds the "this run beside the paper" table that every chapter shows:
the paper's value, this run's (with its 95% interval), the closed form where one exists,
and whether they agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .tables import format_value

__all__ = ["PaperValue", "GAUSSIAN", "KDE", "LM", "LINEAR_REGRESSION", "DISCRETE", "VALUE", "compare",
           "format_value"]


@dataclass(frozen=True)
class PaperValue:
    """One number of the paper: where it holds and what it measures.

    ``t`` is the generation the paper quotes it at; ``statistic`` how the seeds are
    summarised ("mean", "median" or "geometric" for the geometric mean); ``tolerance``
    how far (as a factor) this run may sit from a value read off a figure and still agree.
    """

    workflow: str
    conditions: Mapping[str, Any]
    metric: str
    low: float
    high: float
    note: str = ""
    t: int = 100
    statistic: str = "mean"
    tolerance: float = 1.25
    label: str = ""

    @property
    def quoted(self) -> str:
        """The value as the paper's figure shows it (a range where it is read off a plot)."""
        return f"~{format_value(self.low)}" if self.low == self.high else \
            f"{format_value(self.low)}–{format_value(self.high)}"


# --- the numbers -----------------------------------------------------------------------------

#: Gaussian, t = 100. ``mean_sq_error_over_first`` is mean_sq_error / (d sigma2 / n).
GAUSSIAN: tuple[PaperValue, ...] = (
    PaperValue("replace", {"d": 10, "n": 10}, "mean_sq_error", 10, 10),
    PaperValue("replace", {"d": 10, "n": 100}, "mean_sq_error", 7, 7),
    PaperValue("replace", {"d": 10, "n": 1000}, "mean_sq_error", 1, 1),
    PaperValue("accumulate", {"d": 10, "n": 100}, "mean_sq_error_over_first", 1.5, 1.7),
    PaperValue("accumulate-subsample", {"d": 10, "n": 100}, "mean_sq_error_over_first", 2.3, 3.0,
               "plateaus by t ~ 10"),
    PaperValue("replace", {"d": 1, "n": 10}, "mean_sq_error", 0.925, 0.925),
    PaperValue("accumulate", {"d": 1, "n": 10}, "mean_sq_error", 0.158, 0.158),
    PaperValue("replace", {"d": 10, "n": 100}, "cov_det_ratio", 2e-26, 2e-26,
               "spans decades across seeds: compared as orders of magnitude", tolerance=1e4),
    PaperValue("accumulate", {"d": 10, "n": 100}, "cov_det_ratio", 0.40, 0.40),
    PaperValue("accumulate", {"d": 10, "n": 1000}, "cov_det_ratio", 0.91, 0.91),
)

#: Kernel density estimation, test NLL at t = 100 unless ``t`` says otherwise.
KDE: tuple[PaperValue, ...] = (
    PaperValue("replace", {"dataset": "circles", "h": 0.1, "n": 10}, "test_nll", 1, 4,
               "first fit (every workflow)", t=1),
    PaperValue("replace", {"dataset": "circles", "h": 0.1, "n": 10}, "test_nll", 100, 100),
    PaperValue("accumulate", {"dataset": "circles", "h": 0.1, "n": 10}, "test_nll", 1.3, 2),
    PaperValue("replace", {"dataset": "moons", "h": 0.1, "n": 10}, "test_nll", 1, 4,
               "first fit (every workflow)", t=1),
    PaperValue("replace", {"dataset": "moons", "h": 0.1, "n": 10}, "test_nll", 100, 100),
    PaperValue("accumulate", {"dataset": "moons", "h": 0.1, "n": 10}, "test_nll", 1.3, 2),
    PaperValue("replace", {"dataset": "blobs", "h": 0.1, "n": 1000, "authors_test": False}, "test_nll", 4.4, 4.4,
               "first fit, test set from the same blobs", t=1),
    PaperValue("replace", {"dataset": "blobs", "h": 0.1, "n": 1000, "authors_test": True}, "test_nll",
               1574, 1574, "first fit, the authors' test set (new random centres): order of magnitude",
               t=1, statistic="median", tolerance=10, label="test NLL (authors' test set)"),
)

#: Language models: Gemma-2-2B on HelpSteer2, eval loss in nats/token (t = 1 is the
#: fine-tune on real data alone).
LM: tuple[PaperValue, ...] = (
    PaperValue("replace", {}, "test_loss", 1.09, 1.09, "t = 1 is the same fit for every workflow", t=1),
    PaperValue("replace", {}, "test_loss", 2.2, 2.2, t=4),
    PaperValue("replace", {}, "test_loss", 2.6, 2.6, "about 2.6 from t = 10 to 20", t=10),
    PaperValue("accumulate-subsample", {}, "test_loss", 1.14, 1.14, t=3),
    PaperValue("accumulate-subsample", {}, "test_loss", 1.21, 1.21, t=19),
    PaperValue("accumulate", {}, "test_loss", 1.09, 1.10, "flat at 1.09-1.10 throughout", t=10),
)

#: Linear regression (the authors' later code), Replace test_mse at d = 10, sigma2 = 1, t = 100.
LINEAR_REGRESSION: tuple[PaperValue, ...] = (
    PaperValue("replace", {"d": 10, "n": 32, "sigma2": 1.0}, "test_mse", 48, 48),
    PaperValue("replace", {"d": 10, "n": 100, "sigma2": 1.0}, "test_mse", 11, 11),
    PaperValue("replace", {"d": 10, "n": 1000, "sigma2": 1.0}, "test_mse", 1.0, 1.0),
)

#: Discrete distributions (the authors' later code): mean generations until one outcome
#: remains under Replace, K = 10.
DISCRETE: tuple[PaperValue, ...] = (
    PaperValue("replace", {"k": 10, "n": 10}, "fixation_generation", 17, 17),
    PaperValue("replace", {"k": 10, "n": 100}, "fixation_generation", 200, 200),
    PaperValue("replace", {"k": 10, "n": 1000}, "fixation_generation", 1.8e3, 1.8e3),
)

#: The value of synthetic data (language model): eval loss with 256 real examples, without
#: and with about 1k synthetic ones.
VALUE: tuple[PaperValue, ...] = (
    PaperValue("one generation", {"num_real": 256, "num_synthetic": 0}, "test_loss", 1.39, 1.39, t=1),
    PaperValue("one generation", {"num_real": 256, "num_synthetic": 1024}, "test_loss", 1.26, 1.26,
               "about 1k synthetic", t=1),
)


# --- the comparison table -------------------------------------------------------------------

#: How the table names the metrics (anything else: the column name with spaces).
METRIC_LABELS: dict[str, str] = {
    "test_nll": "test NLL", "test_mse": "test MSE", "test_loss": "test loss",
    "mean_sq_error": "mean error", "mean_sq_error_over_first": "mean error / first fit",
    "cov_det_ratio": "det ratio", "fixation_generation": "fixation time",
}

def _summary(values: np.ndarray, statistic: str) -> tuple[float, float, float]:
    """(centre, low, high): the statistic over seeds with a 95% interval.

    For the mean of a positive metric the interval is the one the figures draw
    (:func:`collapse_lib.plotting.summarise`): ``mean * exp(+-1.96 se / mean)``, never
    below zero; for a metric that may be zero or negative, ``mean +- 1.96 se``.
    """
    if statistic == "geometric":
        values = values[values > 0]
        if values.size == 0:
            return math.nan, math.nan, math.nan
        logs = np.log(values)
        half = 1.96 * logs.std(ddof=1) / math.sqrt(logs.size) if logs.size > 1 else 0.0
        return float(np.exp(logs.mean())), float(np.exp(logs.mean() - half)), float(np.exp(logs.mean() + half))
    if statistic == "median":
        if values.size > 1:  # a distribution-free 95% interval of the median (order statistics)
            k = max(0, int(math.floor(values.size / 2 - 0.98 * math.sqrt(values.size))))
            ordered = np.sort(values)
            return float(np.median(values)), float(ordered[k]), float(ordered[-k - 1])
        return float(np.median(values)), float(values[0]), float(values[0])
    half = 1.96 * values.std(ddof=1) / math.sqrt(values.size) if values.size > 1 else 0.0
    mean = float(values.mean())
    if (values > 0).all():  # a positive metric: the interval in log space, as the figures draw it
        factor = math.exp(half / mean)
        return mean, mean / factor, mean * factor
    return mean, mean - half, mean + half


#: The columns of a :func:`compare` table, in order (the HTML view shows the first nine).
COLUMNS = ("workflow", "where", "metric", "t", "paper", "this run", "theory", "agrees", "note",
           "value", "low", "high", "seeds")

_STATISTIC_LABEL = {"mean": "", "median": " (median)", "geometric": " (geom. mean)"}


class ComparisonTable(pd.DataFrame):
    """The table :func:`compare` returns: a DataFrame (one row per paper value) that a
    notebook shows as a compact HTML table fitting the book's column (:func:`to_html`):
    the claim, the paper's value, this build's with its 95% interval, the closed form, and
    whether they agree. Selecting, assigning and concatenating keep that display."""

    @property
    def _constructor(self) -> type[ComparisonTable]:
        return ComparisonTable

    def _repr_html_(self) -> str | None:
        if not {"workflow", "where", "metric", "paper", "this run", "agrees"} <= set(self.columns):
            return super()._repr_html_()
        return to_html(self)


def _escape(text: Any) -> str:
    import html

    return html.escape("" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text))


def to_html(table: pd.DataFrame, *, caption: str | None = None) -> str:
    """A :func:`compare` table as HTML narrow enough for the book's 688 px column.

    Five columns, one row per claim: *claim* (workflow and metric; the conditions, the
    generation compared and any note in small type below), *paper*, *this build* (the
    statistic over seeds; its 95% interval and the number of seeds below), *theory* and
    *agrees* ("yes", "no", or "–" where this build has no such cell or stops before the
    paper's generation, which the note says). Long text wraps inside its cell; a number
    and its interval do not. ``caption`` (default: ``table.attrs["caption"]``, if set)
    goes above the table.
    """
    cell = "padding:0.3em 0.5em;vertical-align:top;white-space:normal;"
    num = cell + "text-align:right;"
    small = '<br><span style="font-size:0.85em;opacity:0.8">'
    small_nowrap = '<br><span style="font-size:0.85em;opacity:0.8;white-space:nowrap">'
    if caption is None:
        caption = table.attrs.get("caption")
    rows = []
    for _, r in table.iterrows():
        where = [] if str(r.get("where", "–")) in ("", "–") else [_escape(r["where"])]
        if "t" in r and str(r["t"]) not in ("", "–"):
            where.append(f"t = {_escape(r['t'])}")
        claim = f"<b>{_escape(r['workflow'])}</b>, {_escape(r['metric'])}"
        if where:
            claim += small + "; ".join(where) + "</span>"
        if str(r.get("note", "") or ""):
            claim += small + "<i>" + _escape(r["note"]) + "</i></span>"
        value = _escape(r["this run"])
        if "value" in r and isinstance(r["value"], float) and math.isfinite(r["value"]):
            label = value.split(" [")[0]
            seeds = int(r.get("seeds", 0) or 0)
            value = f'<span style="white-space:nowrap">{label}</span>' + small_nowrap
            if math.isfinite(r.get("low", math.nan)) and seeds > 1:
                value += f"[{format_value(r['low'])}, {format_value(r['high'])}]</span>" + small_nowrap
            value += f"{seeds} seed{'s' if seeds != 1 else ''}</span>"
        quoted = _escape(r["paper"])
        if " (t = " in quoted:
            head, tail = quoted.split(" (t = ", 1)
            quoted = f'<span style="white-space:nowrap">{head}</span>{small_nowrap}at t = {tail.rstrip(")")}</span>'
        else:
            quoted = f'<span style="white-space:nowrap">{quoted}</span>'
        agrees = {"yes": "yes", "no": "<b>no</b>"}.get(str(r["agrees"]), "–")
        rows.append(f'<tr><td style="{cell}text-align:left">{claim}</td><td style="{num}">{quoted}</td>'
                    f'<td style="{num}">{value}</td><td style="{num}">{_escape(r.get("theory", "–"))}</td>'
                    f'<td style="{cell}text-align:center">{agrees}</td></tr>')
    head = "".join(f'<th style="{cell}text-align:{a}">{h}</th>' for h, a in
                   [("claim", "left"), ("paper", "right"), ("this build", "right"), ("theory", "right"),
                    ("agrees", "center")])
    cap = f'<caption style="caption-side:top;text-align:left">{_escape(caption)}</caption>' if caption else ""
    return (f'<table class="dataframe comparison" style="width:100%;max-width:100%;table-layout:auto">{cap}'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def compare(frame: pd.DataFrame, refs: Iterable[PaperValue], *,
            theory: Callable[[PaperValue, int], float | None] | None = None,
            generation: str = "generation") -> ComparisonTable:
    """This run beside the paper, one row per paper value (shown as an HTML table).

    ``frame`` is tidy (one row per seed and generation, or per seed where there is no
    ``generation`` column) with the paper value's metric as a column. Each value is
    compared at its generation ``t``, or at the run's last generation when the run is
    shorter (the ``t`` column says which). ``theory(ref, t)`` may give the closed form.
    Columns (:data:`COLUMNS`): workflow, where (the conditions), metric, t, paper, this run
    (the statistic over seeds with its 95% interval, as text), theory, agrees ("yes" when
    the interval and the paper's value, widened by its tolerance, overlap; blank when the
    run has no such cell or stops before the paper's generation), note; then the numbers
    behind "this run": value, low, high (the interval) and seeds. Missing values (NaN)
    are left out of the statistic. A notebook shows the table as :func:`to_html` does.
    """
    from .plotting import WORKFLOW_LABEL

    has_t = generation in frame.columns
    last = int(frame[generation].max()) if has_t and len(frame) else None
    rows = []
    for ref in refs:
        sel = pd.Series(True, index=frame.index)
        if ref.workflow in WORKFLOW_LABEL and "workflow" in frame.columns:
            sel &= frame["workflow"] == ref.workflow
        missing = [k for k in ref.conditions if k not in frame.columns]
        for k, v in ref.conditions.items():
            if k in frame.columns:
                sel &= frame[k].astype(object) == v
        t_run = None
        if has_t:
            t_run = ref.t if last is None or ref.t <= last else last
            sel &= frame[generation] == t_run
        values = np.array([]) if missing or ref.metric not in frame.columns else \
            frame.loc[sel, ref.metric].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        conditions = ", ".join(f"{k} = {v}" for k, v in ref.conditions.items())
        row = {"workflow": WORKFLOW_LABEL.get(ref.workflow, ref.workflow), "where": conditions or "–",
               "metric": ref.label or METRIC_LABELS.get(ref.metric, ref.metric.replace("_", " ")),
               "t": t_run if t_run is not None else "–",
               "paper": f"{ref.quoted} (t = {ref.t})" if has_t and t_run != ref.t else ref.quoted}
        if values.size == 0:
            row.update({"this run": "not in this run", "theory": "–", "agrees": "", "note": ref.note,
                        "value": math.nan, "low": math.nan, "high": math.nan, "seeds": 0})
            rows.append(row)
            continue
        centre, lo, hi = _summary(values, ref.statistic)
        interval = f" [{format_value(lo)}, {format_value(hi)}]" if values.size > 1 else ""
        expected = theory(ref, t_run if t_run is not None else ref.t) if theory is not None else None
        agrees = lo <= ref.high * ref.tolerance and hi >= ref.low / ref.tolerance
        same_t = t_run is None or t_run == ref.t
        note = ref.note if same_t else "; ".join(
            filter(None, [ref.note, f"this run stops at t = {t_run}: not comparable with the paper's t = {ref.t}"]))
        row.update({"this run": f"{format_value(centre)}{_STATISTIC_LABEL[ref.statistic]}{interval}",
                    "theory": format_value(expected) if expected is not None else "–",
                    "agrees": ("yes" if agrees else "no") if same_t else "", "note": note,
                    "value": centre, "low": lo if values.size > 1 else math.nan,
                    "high": hi if values.size > 1 else math.nan, "seeds": int(values.size)})
        rows.append(row)
    return ComparisonTable(rows, columns=list(COLUMNS))


def agreement(table: pd.DataFrame) -> tuple[int, int]:
    """(values that agree, values compared) of a :func:`compare` table."""
    return int((table["agrees"] == "yes").sum()), int((table["agrees"] != "").sum())


__all__ += ["agreement", "ComparisonTable", "COLUMNS", "to_html"]
