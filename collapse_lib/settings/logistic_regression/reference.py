"""Dey & Donoho's logistic-regression numbers, each with its source and the range a verdict
compares (chapter *Logistic regression*, "This run beside Dey & Donoho").

Their public repository (``apd1995/model_collapse_universality``) holds the code of the
experiment (``experiments/UCI/replace_logistic.py`` and ``augment_logistic.py``: scikit-learn's
``LogisticRegression(penalty=None, max_iter=10000)`` refit on Bernoulli labels drawn from the
previous fit, 50 iterations, one run with an unseeded random stream) and its logged output
(``logistic_ML_data/<dataset>_{discard,augment}.log``), and the figure of their
Gaussian-process limit (``model_collapse_pisquareplot.png``, made by
``experiments/gaussian_limits/model_collapse_codes.R`` from 10^6 simulated draws). The
paper's own PDF could not be read here: every number below is from those files, read as
each :class:`~collapse_lib.verdicts.Source` says.

* ``RUNS``: single runs, copied from the logs to full precision. A single run is one draw
  from the distribution of chains, so it is compared with this build's chains by its rank
  among them (the chapter's "This run beside Dey & Donoho"), not with an interval of a mean;
  its range is the value itself. Their "discard" is Replace, "augment" Accumulate.
* ``LIMITS``: the large-n ratio of the estimate's error at generation t to the first fit's,
  read by pixel off the figure (axes calibrated on its grid lines; the line is 4-5 pixels
  thick, +-2.5 pixels = +-0.006) and widened by the Monte-Carlo error of 10^6 draws (+-0.3%).
  Their "augment" is Accumulate, "subsample" Accumulate-Subsample. The Accumulate readings
  match the Basel partial sums to 0.003, a check of the calibration.
"""

from __future__ import annotations

from ...verdicts import Reference, Source

__all__ = ["REPOSITORY", "REFERENCES", "RUNS", "LIMITS", "FIRST_FIT", "SEPARATED"]

#: Dey & Donoho's repository, and the commits the numbers were read at.
REPOSITORY = "apd1995/model_collapse_universality"
LOG_COMMIT = "962f709"
FIGURE_COMMIT = "9b0a5ee"


def _log(dataset: str, workflow: str, how: str) -> Source:
    kind = "discard" if workflow == "replace" else "augment"
    return Source("log", f"{REPOSITORY} at {LOG_COMMIT}, the log {dataset}_{kind}.log (folder logistic_ML_data)",
                  how)


_COPIED = "copied from the log line of that iteration (one run)"
_FIG = Source("figure", f"{REPOSITORY} at {FIGURE_COMMIT}, model_collapse_pisquareplot.png (their Gaussian-"
              "process limit from 10^6 simulated draws)",
              "the line at t, read by pixel (+-0.006) and widened by the simulation's error (+-0.3%)")

#: The diabetes design of their experiment: all 309 training rows, all 10 features, real labels.
_DIABETES = {"dataset": "diabetes", "n": 309, "features": "all", "labels": "real"}
_BREAST = {"dataset": "breast_cancer", "n": 398, "features": "all", "labels": "real"}

#: The first fit (iteration 1, the same in both logs of a data set): deterministic.
FIRST_FIT: tuple[Reference, ...] = (
    Reference("replace", _DIABETES, "test_log_loss", 0.4284598191388307, 0.4284598191388307, 0.4284598191388307,
              _log("diabetes", "replace", _COPIED + "; the same in the augment log"), t=1,
              label="test log-loss of the first fit"),
    Reference("replace", _DIABETES, "test_accuracy", 0.8045112781954887, 0.8045112781954887, 0.8045112781954887,
              _log("diabetes", "replace", _COPIED + "; the same in the augment log"), t=1,
              label="test accuracy of the first fit"),
)

#: Single runs on diabetes (this build compares their rank among its chains).
RUNS: tuple[Reference, ...] = (
    Reference("replace", _DIABETES, "test_log_loss", 0.756692969525996, 0.756692969525996, 0.756692969525996,
              _log("diabetes", "replace", _COPIED), t=10, label="test log-loss"),
    Reference("replace", _DIABETES, "test_log_loss", 1.9517374897720874, 1.9517374897720874, 1.9517374897720874,
              _log("diabetes", "replace", _COPIED), t=20, label="test log-loss"),
    Reference("accumulate", _DIABETES, "test_log_loss", 0.4551353050296976, 0.4551353050296976,
              0.4551353050296976, _log("diabetes", "accumulate", _COPIED), t=10, label="test log-loss"),
    Reference("accumulate", _DIABETES, "test_log_loss", 0.4557521074492578, 0.4557521074492578,
              0.4557521074492578, _log("diabetes", "accumulate", _COPIED), t=50, label="test log-loss"),
    Reference("accumulate", _DIABETES, "test_accuracy", 0.7669172932330827, 0.7669172932330827,
              0.7669172932330827, _log("diabetes", "accumulate", _COPIED), t=50, label="test accuracy"),
    # the generation at which their Replace chain's labels became separable: the test loss jumps
    # from 3.85 to 8.57 at iteration 26, the train accuracy (of model t on the labels drawn from
    # it) first reaches 1.0 at 29, and iterations 29 and 30 log the same fit to every digit (the
    # labels drawn from a fit on separable labels are those labels again): 26 to 29
    Reference("replace", _DIABETES, "generation_ended", 27.5, 26.0, 29.0,
              _log("diabetes", "replace", "the first iteration whose fit is on separable labels: the test loss "
                   "jumps at 26 (3.85 to 8.57), the train accuracy first reaches 1.0 at 29, and 29 and 30 log "
                   "the same fit to every digit; read as 26 to 29"),
              t=None, label="generation whose labels are separable",
              note="from then on their log reports the optimiser's stopping point (test log-loss 7.7 to 8.6)"),
)

#: Breast cancer with all 30 features: the numbers of fits that do not exist.
SEPARATED: tuple[Reference, ...] = (
    Reference("replace", _BREAST, "test_log_loss", 0.10192663800764927, 0.10192663800764927, 0.10192663800764927,
              _log("breast_cancer", "replace", _COPIED + "; lbfgs stopped at its limit of 10,000 iterations "
                   "(the log's ConvergenceWarning)"), t=1, label="test log-loss of the first fit"),
    Reference("replace", _BREAST, "test_log_loss", 1.4754711913673697, 1.4754711913673697, 1.4754711913673697,
              _log("breast_cancer", "replace", _COPIED + "; the same number at every iteration from 2 to 50"),
              t=50, label="test log-loss", note="a frozen chain: every fit from t = 2 on is the same point"),
    Reference("accumulate", _BREAST, "test_log_loss", 0.12130333742154925, 0.12130333742154925,
              0.12130333742154925, _log("breast_cancer", "accumulate", _COPIED + "; 9 of the 50 fits logged a "
                                        "ConvergenceWarning"), t=50, label="test log-loss"),
)

#: The large-n ratio of the error at t to the first fit's (statistic: a ratio of means over chains
#: with model labels, where the truth is known).
LIMITS: tuple[Reference, ...] = (
    Reference("accumulate", {"labels": "model"}, "ratio_to_first_fit", 1.547, 1.536, 1.558, _FIG, t=10,
              label="error / first fit's"),
    Reference("accumulate", {"labels": "model"}, "ratio_to_first_fit", 1.6245, 1.614, 1.635, _FIG, t=50,
              label="error / first fit's"),
    Reference("accumulate", {"labels": "model"}, "ratio_to_first_fit", 1.634, 1.623, 1.645, _FIG, t=100,
              label="error / first fit's"),
    Reference("accumulate-subsample", {"labels": "model"}, "ratio_to_first_fit", 2.648, 2.633, 2.663, _FIG, t=10,
              label="error / first fit's"),
    Reference("accumulate-subsample", {"labels": "model"}, "ratio_to_first_fit", 2.878, 2.863, 2.893, _FIG, t=50,
              label="error / first fit's"),
    Reference("accumulate-subsample", {"labels": "model"}, "ratio_to_first_fit", 2.898, 2.883, 2.913, _FIG, t=100,
              label="error / first fit's"),
)

#: Every reference number of the setting (what the tests plant wrong copies of).
REFERENCES: tuple[Reference, ...] = (*FIRST_FIT, *RUNS, *LIMITS, *SEPARATED)
