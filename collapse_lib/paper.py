"""Numbers read off the paper's figures and result files (SPEC), for side-by-side tables.

These are the *targets* the book's runs are compared with; nothing here is a result of
this book. Each entry: (setting, workflow, conditions, metric, value as quoted, note).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PaperValue", "GAUSSIAN"]


@dataclass(frozen=True)
class PaperValue:
    """One number of the paper: where it holds and what it measures."""

    workflow: str
    conditions: dict[str, int | float]
    metric: str
    low: float
    high: float
    note: str = ""

    @property
    def quoted(self) -> str:
        """The value as the paper's figure shows it (a range where it is read off a plot)."""
        fmt = (lambda v: f"{v:.2g}")
        return f"~{fmt(self.low)}" if self.low == self.high else f"{fmt(self.low)}–{fmt(self.high)}"


#: Gaussian, t = 100 (SPEC §2). ``mean_sq_error_over_first`` is mean_sq_error / (d sigma2 / n).
GAUSSIAN: tuple[PaperValue, ...] = (
    PaperValue("replace", {"d": 10, "n": 10}, "mean_sq_error", 10, 10),
    PaperValue("replace", {"d": 10, "n": 100}, "mean_sq_error", 7, 7),
    PaperValue("replace", {"d": 10, "n": 1000}, "mean_sq_error", 1, 1),
    PaperValue("accumulate", {"d": 10, "n": 100}, "mean_sq_error_over_first", 1.5, 1.7),
    PaperValue("accumulate-subsample", {"d": 10, "n": 100}, "mean_sq_error_over_first", 2.3, 3.0,
               "plateaus by t ~ 10"),
    PaperValue("replace", {"d": 1, "n": 10}, "mean_sq_error", 0.925, 0.925, "theory 1.0"),
    PaperValue("accumulate", {"d": 1, "n": 10}, "mean_sq_error", 0.158, 0.158, "theory 0.164"),
    PaperValue("replace", {"d": 10, "n": 100}, "cov_det_ratio", 2e-26, 2e-26),
    PaperValue("accumulate", {"d": 10, "n": 100}, "cov_det_ratio", 0.40, 0.40),
    PaperValue("accumulate", {"d": 10, "n": 1000}, "cov_det_ratio", 0.91, 0.91),
)
