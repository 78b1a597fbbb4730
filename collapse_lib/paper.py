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

def format_value(value: float | None, digits: int = 3) -> str:
    """A number for a table: ``digits`` significant digits, in plain notation from 0.001 up
    to 10^5 (1800, 95.2, 0.0123), in scientific notation beyond (2.1e-26)."""
    if value is None or not math.isfinite(value):
        return "–" if value is None or math.isnan(value) else str(value)
    if value == 0:
        return "0"
    if abs(value) < 1e-3 or abs(value) >= 1e5:
        return f"{value:.{max(1, digits - 1)}e}".replace("e-0", "e-").replace("e+0", "e")
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    return f"{round(value, decimals):.{decimals}f}"


def _summary(values: np.ndarray, statistic: str) -> tuple[float, float, float]:
    """(centre, low, high): the statistic over seeds with a 95% interval."""
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
    return float(values.mean()), float(values.mean() - half), float(values.mean() + half)


def compare(frame: pd.DataFrame, refs: Iterable[PaperValue], *,
            theory: Callable[[PaperValue, int], float | None] | None = None,
            generation: str = "generation") -> pd.DataFrame:
    """This run beside the paper, one row per paper value (an HTML table in a chapter).

    ``frame`` is tidy (one row per seed and generation, or per seed where there is no
    ``generation`` column) with the paper value's metric as a column. Each value is
    compared at its generation ``t``, or at the run's last generation when the run is
    shorter (the ``t`` column says which). ``theory(ref, t)`` may give the closed form.
    Columns: workflow, setting (the conditions), metric, t, paper, this run (statistic with
    its 95% interval), theory, agrees ("yes" when the interval and the paper's value, widened
    by its tolerance, overlap; blank when the run has no such cell or stops before the
    paper's generation), note. Missing values (NaN) are left out of the statistic.
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
            row.update({"this run": "not in this run", "theory": "–", "agrees": "", "note": ref.note})
            rows.append(row)
            continue
        centre, lo, hi = _summary(values, ref.statistic)
        label = {"mean": "", "median": " (median)", "geometric": " (geom.)"}[ref.statistic]
        interval = f" [{format_value(lo, 2)}, {format_value(hi, 2)}]" if values.size > 1 else ""
        expected = theory(ref, t_run if t_run is not None else ref.t) if theory is not None else None
        agrees = lo <= ref.high * ref.tolerance and hi >= ref.low / ref.tolerance
        same_t = t_run is None or t_run == ref.t
        note = ref.note if same_t else "; ".join(
            filter(None, [ref.note, f"this run stops at t = {t_run}: not comparable with the paper's t = {ref.t}"]))
        row.update({"this run": f"{format_value(centre)}{label}{interval}",
                    "theory": format_value(expected) if expected is not None else "–",
                    "agrees": ("yes" if agrees else "no") if same_t else "", "note": note})
        rows.append(row)
    return pd.DataFrame(rows)


def agreement(table: pd.DataFrame) -> tuple[int, int]:
    """(values that agree, values compared) of a :func:`compare` table."""
    return int((table["agrees"] == "yes").sum()), int((table["agrees"] != "").sum())


__all__ += ["agreement"]
