"""Large-n theory of logistic regression refit on its own labels (chapter *Logistic regression*).

Dey & Donoho (arXiv 2410.22812) show that for a regular parametric model fitted by maximum
likelihood the errors of the generations behave, as n grows, like those of linear
regression: each generation's labels add an independent error of covariance J^-1 (J the
Fisher information of the design's n rows), Replace adds them up and Accumulate averages
them with weights 1/k. With e_k those errors and beta_ref the real data's fit,

    Replace:     beta_t - beta_ref = e_2 + ... + e_t,
    Accumulate:  beta_t - beta_ref = e_2 / 2 + ... + e_t / t

(from the first-order expansion of the score: the fit on t stacked label vectors is the
mean of the t fits they would give one by one, to first order). With ``labels="model"`` the
real labels are themselves drawn from the model at beta_ref, so beta_1 - beta_ref = e_1 is
a first error of the same kind, and the sums start at k = 1.

Hence, for ``param_error`` = (beta_t - beta_ref)' J (beta_t - beta_ref) / p:

* Replace: E param_error_t = t - 1 (real labels) or t (model labels);
* Accumulate: E param_error_t = sum_{k=2..t} 1/k^2 < pi^2/6 - 1 (real labels) or
  sum_{k=1..t} 1/k^2 < pi^2/6 (model labels): with model labels, the ratio to the first
  fit's error is t under Replace and the Basel partial sum under Accumulate, the pi^2/6
  pathway;
* Accumulate-Subsample: no closed form (None).

These are **limits**, not finite-n formulas: exact as n -> infinity with the design's
distribution fixed (a design of n rows repeating the data set's rows), approximations at
finite n. Two finite-n effects push the measured error above them, and the chapter measures
both: the maximum-likelihood estimate of logistic regression is biased away from zero by
O(p/n), and Replace compounds that bias generation after generation (a geometric growth of
the coefficients, which ends when the labels become separable); and at small n the first
fit's own error is above 1 (the variance inflation of the estimate when p/n is not small).
Measured on diabetes (p = 11, real labels), the mean over 200 chains with its 95% interval
(:func:`collapse_lib.stats.mean_interval`): at t = 20 Accumulate's ``param_error`` is
0.652 [0.610, 0.693] at n = 309, 0.580 [0.546, 0.614] at n = 3090 and 0.587 [0.549, 0.624]
at n = 30900, against the limit 0.596; at t = 10 Replace's is 50.4 [41.1, 65.0] at n = 309
(five times the limit: the compounding bias), 9.92 [9.31, 10.5] at n = 3090 and
8.94 [8.36, 9.52] at n = 30900, against 9. The command::

    for wf, t in (("accumulate", 20), ("replace", 10)):
        for n in (309, 3090, 30900):
            f = cl.simulate("logistic_regression", wf, n_generations=t, seeds=200, n=n)
            print(wf, n, stats.mean_interval(f.loc[f.generation == t, "param_error"]).text(3))

``test_log_loss`` follows by a second-order (delta-method) expansion of the test loss L
around beta_ref: E L(beta_t) ~ L(beta_ref) + (1/2) tr(H J^-1) s_t, with H the test loss's
Hessian at beta_ref and s_t the expected ``param_error`` above; the first-order term
vanishes to this order (the errors have mean zero). An approximation twice over (large n,
second order), drawn as such. Measured (means over 200 chains, diabetes, real labels, t = 20):
0.4397 against 0.4416 under Accumulate at n = 309 and 0.4313 against 0.4316 at n = 3090;
under Replace 0.463 against 0.466 at n = 3090, but 2.35 (over the chains that still had a fit)
against 0.78 at n = 309, where the compounding bias has taken over.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.special import expit

from ...validation import check_choice
from ...workflows import check_workflow
from .model import LABELS, design, real_fit

__all__ = ["PI2_OVER_6", "basel_partial_sum", "expected_param_error", "ratio_to_first_fit", "loss_curvature",
           "expected_test_log_loss", "expected"]

#: The limit of sum_{k>=1} 1/k^2.
PI2_OVER_6 = math.pi ** 2 / 6


def basel_partial_sum(t: np.ndarray | int) -> np.ndarray:
    """sum_{k=1..t} 1/k^2 for each t >= 1 (exact)."""
    t_arr = np.asarray(t, dtype=np.int64)
    table = np.cumsum(1.0 / np.arange(1, int(np.max(t_arr)) + 1) ** 2)
    return table[t_arr - 1]


def expected_param_error(workflow: str, t: np.ndarray | int, labels: str = "real") -> np.ndarray | None:
    """The large-n limit of E ``param_error`` at generation ``t`` (see the module docstring):
    t - 1 or t under Replace, the Basel partial sum from k = 2 or k = 1 under Accumulate
    (``labels`` "real" or "model"); None for Accumulate-Subsample. A limit: the measured
    finite-n errors are in the module docstring."""
    check_workflow(workflow)
    check_choice("labels", labels, LABELS)
    t_arr = np.asarray(t, dtype=float)
    first = 1.0 if labels == "model" else 0.0
    if workflow == "replace":
        return t_arr - 1.0 + first
    if workflow == "accumulate":
        return basel_partial_sum(np.asarray(t, dtype=np.int64)) - 1.0 + first
    return None


def ratio_to_first_fit(workflow: str, t: np.ndarray | int) -> np.ndarray | None:
    """Dey & Donoho's ratio E||beta_t - beta*||^2 / E||beta_1 - beta*||^2 in the large-n limit
    (model labels: the truth beta* is known): t under Replace, sum_{k<=t} 1/k^2 < pi^2/6
    under Accumulate; None for Accumulate-Subsample. The same in every norm, since every
    generation's error has the same covariance J^-1 in the limit."""
    return expected_param_error(workflow, t, "model")


def loss_curvature(dataset: str, n: int, features: int | str = "all") -> float:
    """(1/2) tr(H J^-1): the increase of the expected test log-loss per unit of expected
    ``param_error``, to second order (errors of covariance s J^-1 have E ``param_error`` = s
    and raise the expected loss by s tr(H J^-1) / 2), with H the mean Hessian of the test
    log-loss and J the Fisher information of the n design rows, both at the real data's
    fit. Exact arithmetic; the expansion it serves is an approximation."""
    d, ref = design(dataset, n, features), real_fit(dataset, n, features)
    eta = d.z_test @ ref.beta
    w = expit(eta) * expit(-eta)
    hess = (d.z_test.T * w) @ d.z_test / d.z_test.shape[0]
    return float(0.5 * np.trace(np.linalg.solve(ref.info, hess)))


def expected_test_log_loss(workflow: str, t: np.ndarray | int, dataset: str, n: int, features: int | str = "all",
                           labels: str = "real") -> np.ndarray | None:
    """The second-order, large-n approximation of E ``test_log_loss`` at generation ``t``:
    L(beta_ref) + :func:`loss_curvature` x :func:`expected_param_error` (None for
    Accumulate-Subsample). An approximation (see the module docstring); the chapter draws it
    over the runs."""
    shift = expected_param_error(workflow, t, labels)
    if shift is None:
        return None
    d, ref = design(dataset, n, features), real_fit(dataset, n, features)
    eta = d.z_test @ ref.beta
    base = float(np.logaddexp(0.0, -(2.0 * d.y_test - 1.0) * eta).mean())
    return base + loss_curvature(dataset, n, features) * shift


def expected(metric: str, workflow: str, t: np.ndarray | int, params: Mapping[str, Any]) -> np.ndarray | None:
    """E[metric_t] for ``workflow`` where this setting's theory gives one (``param_error``,
    ``test_log_loss``: large-n approximations), else None. ``params`` are the setting's
    parameters (extra ones are ignored). The registry's :func:`collapse_lib.theory.expected`
    calls this."""
    labels = str(params.get("labels", "real"))
    if metric == "param_error":
        return expected_param_error(workflow, t, labels)
    if metric == "test_log_loss":
        return expected_test_log_loss(workflow, t, str(params.get("dataset", "diabetes")), int(params["n"]),
                                      params.get("features", "all"), labels)
    return None
