"""The authors' linear-regression numbers (their later code), each with its source and the
range a verdict compares (chapter *Linear regression*, "This run beside the paper").

Read by pixel off the PNG figure of the authors' repository for d = 10, sigma2 = 1: the
line at t = 100 and its band (seaborn's default 95% bootstrap interval over their seeds),
widened by the reading error (+-2 pixels: +-2% on the log axis).
"""

from __future__ import annotations

from ...verdicts import AUTHORS_COMMIT, AUTHORS_REPOSITORY, Reference, Source

__all__ = ["REFERENCES"]

_FIG = (f"{AUTHORS_REPOSITORY} at {AUTHORS_COMMIT}, notebooks/07_lin_regr_accumulate_subsample/results/squared_"
        "error_of_fit_mean_vs_model_fitting_iteration_by_noise_col=setting_dim=10_sigmasq=1.0.png")
_LINE = Source("figure", _FIG, "the line at t = 100 and its 95% band, read by pixel (log axis, +-2%)")
_TOP = Source("figure", _FIG, "the line at t = 100 and the lower edge of its band, read by pixel; the upper edge "
              "lies under the 10^0 grid line and is taken as the lower one mirrored on the log axis")

REFERENCES: tuple[Reference, ...] = (
    Reference("replace", {"d": 10, "n": 32, "sigma2": 1.0}, "test_mse", 47.5, 40.6, 54.9, _LINE),
    Reference("replace", {"d": 10, "n": 100, "sigma2": 1.0}, "test_mse", 11.2, 9.99, 12.5, _LINE),
    Reference("replace", {"d": 10, "n": 1000, "sigma2": 1.0}, "test_mse", 0.935, 0.807, 1.08, _TOP),
    Reference("accumulate", {"d": 10, "n": 100, "sigma2": 1.0}, "test_mse", 0.200, 0.173, 0.230, _LINE),
    Reference("accumulate-subsample", {"d": 10, "n": 100, "sigma2": 1.0}, "test_mse", 0.357, 0.315, 0.399, _LINE),
)
