"""The authors' discrete-distribution numbers (their later code), with their source and the
range a verdict compares (chapter *Discrete distributions*, "This run beside the paper").

Read by pixel off the PNG figure of the authors' repository: the centre of each marker,
the mean number of generations until one of K = 10 outcomes remains under Replace. The
figure draws no interval; the authors' sweep file (``sweeps/fit_discrete_distributions/
replace.yaml``) runs 100 seeds per point. The range read is the reading error (+-3 pixels,
+-1.2% on the log axis); the comparison adds the sampling error of a mean over 100 runs
(:class:`collapse_lib.verdicts.Reference` ``seeds``).
"""

from __future__ import annotations

from ...verdicts import AUTHORS_COMMIT, AUTHORS_REPOSITORY, Reference, Source

__all__ = ["REFERENCES"]

_FIG = Source("figure", f"{AUTHORS_REPOSITORY} at {AUTHORS_COMMIT}, notebooks/13_discrete_distribution_fitting/"
              "results/y=model_fitting_iteration_x=num_samples_per_iteration_hue=num_outcomes.png",
              "the centre of the marker, read by pixel (log axis, +-1.2%; the figure draws no interval: "
              "their sweep file runs 100 seeds)")

REFERENCES: tuple[Reference, ...] = (
    Reference("replace", {"k": 10, "n": 10}, "fixation_generation", 17.1, 16.9, 17.3, _FIG, t=None, seeds=100),
    Reference("replace", {"k": 10, "n": 100}, "fixation_generation", 204.5, 202, 207, _FIG, t=None, seeds=100),
    Reference("replace", {"k": 10, "n": 1000}, "fixation_generation", 1804, 1782, 1826, _FIG, t=None, seeds=100),
)
