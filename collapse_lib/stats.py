"""Every interval of the book, in one place (chapter *Results at a glance*, "How the verdicts
are made").

A chapter or another module never computes an interval by hand: it calls one of these.

* :func:`mean_interval` -- the 95% interval of a mean over seeds. ``method="t"``: Student's
  t (right for a few seeds of a light-tailed metric: with 3 seeds the quantile is 4.30, not
  1.96); ``"log-t"``: the same in log space by the delta method, ``mean * exp(+-q se/mean)``
  (a band that stays above zero on a log axis); ``"bootstrap"``: ``scipy.stats.bootstrap``
  (BCa); ``"heavy"``: for a positive heavy-tailed metric, an iterated studentized bootstrap
  in log space (see :func:`heavy_interval`); ``"auto"`` (the default): ``"heavy"`` for a
  positive metric whose seeds look heavy-tailed (:func:`heavy_tailed`), else ``"t"``.
* :func:`median_interval` (order statistics, distribution-free), :func:`geometric_interval`
  (t on the logarithms).
* :func:`paired_difference` (runs that share their seeds: the same first fit), and
  :func:`ratio_of_means` (Fieller's interval, paired or not), for shares such as "the part
  of the gain due to data".
* :func:`summarise` -- the mean and its band per group (the figures' bands), vectorised.
* :func:`holm` -- Holm's step-down adjustment of p-values (many verdicts at once), and
  :func:`seeds_to_resolve`, the seeds an interval would need to reach a given half-width.

Every random number here comes from a generator with a fixed seed: the same values give
the same interval, bit for bit. The tests check the coverage of each method on cases with
a known answer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _st

from .tables import format_value

__all__ = ["LEVEL", "METHODS", "Interval", "t_quantile", "mean_interval", "heavy_tailed", "heavy_interval",
           "median_interval", "geometric_interval", "paired_difference", "ratio_of_means", "summarise",
           "holm", "seeds_to_resolve", "top_share"]

#: The level of every interval of the book.
LEVEL = 0.95
#: The methods of :func:`mean_interval`.
METHODS = ("auto", "t", "log-t", "bootstrap", "heavy")
#: The generator seed of every bootstrap (the same values give the same interval).
_BOOTSTRAP_SEED = 20241021
#: Sample skewness above which a positive metric's mean gets the heavy-tailed interval.
HEAVY_SKEW = 2.0
#: Seeds below which skewness cannot be judged (the t interval is used).
HEAVY_MIN_SEEDS = 20


@dataclass(frozen=True)
class Interval:
    """A statistic over seeds (``centre``) and its interval [``low``, ``high``] at ``level``,
    from ``n`` finite values by ``method``. Bounds are NaN where there is no interval
    (fewer than two values)."""

    centre: float
    low: float
    high: float
    n: int
    method: str
    level: float = LEVEL

    @property
    def half(self) -> float:
        """Half the interval's width."""
        return (self.high - self.low) / 2

    @property
    def finite(self) -> bool:
        """Whether both bounds exist."""
        return math.isfinite(self.low) and math.isfinite(self.high)

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the interval (False without one)."""
        return self.finite and self.low <= value <= self.high

    def text(self, digits: int = 3) -> str:
        """``"0.658 [0.477, 0.909]"`` (the centre alone without an interval)."""
        if not math.isfinite(self.centre):
            return "–"
        if not self.finite:
            return format_value(self.centre, digits)
        return f"{format_value(self.centre, digits)} [{format_value(self.low, digits)}, " \
               f"{format_value(self.high, digits)}]"


def _finite(values: Any) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    return arr[np.isfinite(arr)]


def _empty(arr: np.ndarray, method: str, level: float) -> Interval | None:
    if arr.size == 0:
        return Interval(math.nan, math.nan, math.nan, 0, method, level)
    if arr.size == 1 or np.all(arr == arr[0]):
        value = float(arr[0])
        bound = value if arr.size > 1 else math.nan
        return Interval(value, bound, bound, int(arr.size), method, level)
    return None


def t_quantile(n: int, level: float = LEVEL) -> float:
    """Student's two-sided quantile for the mean of ``n`` values (n - 1 degrees of freedom):
    12.7 for 2 values, 4.30 for 3, 2.78 for 5, 1.98 for 100. The only such constant of the
    library."""
    if n < 2:
        return math.nan
    return float(_st.t.ppf(0.5 + level / 2, n - 1))


def heavy_tailed(values: Any) -> bool:
    """Whether a positive metric's seeds look heavy-tailed: at least
    :data:`HEAVY_MIN_SEEDS` values, all positive, with sample skewness above
    :data:`HEAVY_SKEW` (a normal sample of 20 rarely exceeds 1; the Gaussian Replace error at
    d = 1, n = 10, t = 100 has skewness near 28 in the population)."""
    arr = _finite(values)
    if arr.size < HEAVY_MIN_SEEDS or np.any(arr <= 0) or np.all(arr == arr[0]):
        return False
    return bool(_st.skew(arr) > HEAVY_SKEW)


def mean_interval(values: Any, *, method: str = "auto", level: float = LEVEL) -> Interval:
    """The mean of the finite ``values`` with its interval by ``method`` (see the module
    docstring); ``"auto"`` picks ``"heavy"`` where :func:`heavy_tailed` says so, else ``"t"``."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    arr = _finite(values)
    if method == "auto":
        method = "heavy" if heavy_tailed(arr) else "t"
    if method in ("log-t", "heavy") and arr.size and np.any(arr <= 0):
        method = "t" if method == "log-t" else "bootstrap"
    done = _empty(arr, method, level)
    if done is not None:
        return done
    mean = float(arr.mean())
    se = float(arr.std(ddof=1)) / math.sqrt(arr.size)
    if method == "t":
        half = t_quantile(arr.size, level) * se
        return Interval(mean, mean - half, mean + half, int(arr.size), method, level)
    if method == "log-t":
        factor = math.exp(t_quantile(arr.size, level) * se / mean)
        return Interval(mean, mean / factor, mean * factor, int(arr.size), method, level)
    if method == "bootstrap":
        res = _st.bootstrap((arr,), np.mean, confidence_level=level, method="BCa", n_resamples=4000,
                            vectorized=True, rng=np.random.default_rng(_BOOTSTRAP_SEED))
        low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if not (math.isfinite(low) and math.isfinite(high)):  # degenerate resamples: percentile
            res = _st.bootstrap((arr,), np.mean, confidence_level=level, method="percentile",
                                n_resamples=4000, vectorized=True, rng=np.random.default_rng(_BOOTSTRAP_SEED))
            low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
        return Interval(mean, low, high, int(arr.size), method, level)
    return heavy_interval(arr, level=level)


#: Nominal levels the iterated bootstrap may choose from, and the coverage it aims for in
#: the bootstrap world.
_HEAVY_LEVELS = np.array([0.95, 0.96, 0.97, 0.98, 0.985, 0.99, 0.995, 0.998, 0.999])
_HEAVY_TARGET = 0.96


def _log_roots(sample: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Studentized roots in log space: (log mean* - log centre) / (se* / mean*), last axis."""
    n = sample.shape[-1]
    m = sample.mean(axis=-1)
    se = np.maximum(sample.std(axis=-1, ddof=1) / math.sqrt(n), 1e-300 * m)
    return (np.log(m) - np.log(centre)) / (se / m)


def heavy_interval(values: Any, *, level: float = LEVEL, outer: int = 200, inner: int = 400) -> Interval:
    """The mean of a positive, heavy-tailed metric, with an interval that covers.

    A studentized bootstrap of the mean in log space (the roots ``(log m* - log m) /
    (se*/m*)``), whose nominal level is calibrated by a second level of bootstrap (the
    iterated bootstrap of Hall and Martin, 1988): each of ``outer`` resamples plays the
    sample, ``inner`` resamples of it give its interval at every level of a grid, and the
    smallest level whose intervals cover the sample's mean in at least 96% of the outer
    resamples is used. The bootstrap world aims above 95% because it has a thinner tail
    than the real one: it cannot hold values the seeds have not shown. On the Gaussian
    Replace error at d = 1, n = 10, t = 100 with 100 seeds (skewness near 28; the plain t
    interval covers about 83%) it covers about 95% (tests/test_stats.py).
    """
    arr = _finite(values)
    if np.any(arr <= 0):
        raise ValueError("heavy_interval needs positive values")
    done = _empty(arr, "heavy", level)
    if done is not None:
        return done
    n = arr.size
    rng = np.random.default_rng(_BOOTSTRAP_SEED)
    mean = float(arr.mean())
    se = float(arr.std(ddof=1)) / math.sqrt(n)
    outer_samples = arr[rng.integers(0, n, (outer, n))]
    outer_means = outer_samples.mean(axis=1)
    outer_se = np.maximum(outer_samples.std(axis=1, ddof=1) / math.sqrt(n), 1e-300 * outer_means)
    covered = np.zeros(len(_HEAVY_LEVELS))
    chunk = max(1, int(2e7 // (inner * n)))  # bounded memory for many seeds
    for start in range(0, outer, chunk):
        stop = min(outer, start + chunk)
        picks = rng.integers(0, n, (stop - start, inner, n))
        inner_samples = np.take_along_axis(outer_samples[start:stop, None, :], picks, axis=2)
        roots = _log_roots(inner_samples, outer_means[start:stop, None])
        for j, lev in enumerate(_HEAVY_LEVELS):
            a = (1 - lev) / 2
            lo_q, hi_q = np.quantile(roots, [a, 1 - a], axis=1)
            m, s = outer_means[start:stop], outer_se[start:stop]
            low, high = m * np.exp(-hi_q * s / m), m * np.exp(-lo_q * s / m)
            covered[j] += np.count_nonzero((low <= mean) & (mean <= high))
    covered /= outer
    target = _HEAVY_TARGET + (level - LEVEL)
    ok = np.flatnonzero(covered >= target)
    chosen = float(_HEAVY_LEVELS[ok[0]] if ok.size else _HEAVY_LEVELS[-1])
    roots = _log_roots(arr[rng.integers(0, n, (4000, n))], np.array(mean))
    a = (1 - chosen) / 2
    lo_q, hi_q = np.quantile(roots, [a, 1 - a])
    return Interval(mean, mean * math.exp(-hi_q * se / mean), mean * math.exp(-lo_q * se / mean), n, "heavy",
                    level)


def top_share(values: Any, fraction: float = 0.01) -> float:
    """The share of the sum carried by the largest ``fraction`` of the values (at least one
    value): how much a mean over seeds rests on a few of them."""
    arr = np.sort(_finite(values))[::-1]
    if arr.size == 0 or arr.sum() <= 0:
        return math.nan
    k = max(1, int(round(fraction * arr.size)))
    return float(arr[:k].sum() / arr.sum())


def median_interval(values: Any, *, level: float = LEVEL) -> Interval:
    """The median with a distribution-free interval: the order statistics whose ranks the
    binomial(n, 1/2) distribution puts around the middle (exact coverage at least ``level``;
    no interval for fewer than 6 values, where none reaches 95%)."""
    arr = np.sort(_finite(values))
    done = _empty(arr, "median", level)
    if done is not None:
        return done
    n = arr.size
    k = int(_st.binom.ppf((1 - level) / 2, n, 0.5))  # P(X <= k - 1) <= alpha / 2
    while k > 0 and _st.binom.cdf(k - 1, n, 0.5) > (1 - level) / 2:
        k -= 1
    median = float(np.median(arr))
    if k < 1:
        return Interval(median, math.nan, math.nan, n, "median", level)
    return Interval(median, float(arr[k - 1]), float(arr[n - k]), n, "median", level)


def geometric_interval(values: Any, *, level: float = LEVEL) -> Interval:
    """The geometric mean of the positive ``values`` (exp of the mean log) with Student's t
    interval on the logarithms; non-positive values are left out (say so where it matters)."""
    arr = _finite(values)
    arr = arr[arr > 0]
    done = _empty(np.log(arr), "geometric", level) if arr.size else _empty(arr, "geometric", level)
    if done is not None:
        return Interval(*(math.exp(v) if math.isfinite(v) else v for v in (done.centre, done.low, done.high)),
                        done.n, "geometric", level)
    inner = mean_interval(np.log(arr), method="t", level=level)
    return Interval(math.exp(inner.centre), math.exp(inner.low), math.exp(inner.high), inner.n, "geometric", level)


def paired_difference(a: Any, b: Any, *, method: str = "auto", level: float = LEVEL) -> Interval:
    """The mean of ``a - b`` over paired runs (the same seeds, in the same order) and its
    interval (``method`` as in :func:`mean_interval`; a difference is not positive, so
    ``"auto"`` is the t interval unless the differences are heavy-tailed, then BCa)."""
    a_arr, b_arr = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if a_arr.shape != b_arr.shape:
        raise ValueError(f"paired runs must have the same length; got {a_arr.size} and {b_arr.size}")
    diff = a_arr - b_arr
    diff = diff[np.isfinite(diff)]
    if method == "auto":
        method = "bootstrap" if diff.size >= HEAVY_MIN_SEEDS and abs(_st.skew(diff)) > HEAVY_SKEW else "t"
    return mean_interval(diff, method=method, level=level)


def ratio_of_means(numerator: Any, denominator: Any, *, paired: bool, level: float = LEVEL) -> Interval:
    """mean(numerator) / mean(denominator) with Fieller's interval (exact for normal means).

    ``paired``: the two come from the same seeds (their covariance enters). When the
    denominator's mean is not clearly away from zero the interval is unbounded: the bounds
    are then -inf and inf, which says that the data cannot fix the ratio.
    """
    x, y = _finite(numerator), _finite(denominator)
    if paired and x.size != y.size:
        raise ValueError("paired ratio: the two samples must have the same length")
    if x.size == 0 or y.size == 0:
        return Interval(math.nan, math.nan, math.nan, 0, "fieller", level)
    mx, my = float(x.mean()), float(y.mean())
    ratio = mx / my if my != 0 else math.nan
    if min(x.size, y.size) < 2:
        return Interval(ratio, math.nan, math.nan, int(min(x.size, y.size)), "fieller", level)
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    cov = float(np.cov(x, y, ddof=1)[0, 1]) / x.size if paired else 0.0
    df = x.size - 1 if paired else min(x.size, y.size) - 1
    q = float(_st.t.ppf(0.5 + level / 2, df))
    a = my * my - q * q * vy
    b = mx * my - q * q * cov
    c = mx * mx - q * q * vx
    disc = b * b - a * c
    if a <= 0 or disc < 0:
        return Interval(ratio, -math.inf, math.inf, int(x.size), "fieller", level)
    root = math.sqrt(disc)
    return Interval(ratio, float((b - root) / a), float((b + root) / a), int(x.size), "fieller", level)


def summarise(frame: pd.DataFrame, y: str, by: str | Sequence[str], *, method: str = "t",
              level: float = LEVEL) -> pd.DataFrame:
    """Per group of ``by``: ``mean``, its interval ``lo``/``hi`` (``method`` ``"t"`` or
    ``"log-t"``, vectorised; a group with a non-positive value gets ``"t"``), ``std`` and
    ``count`` of the finite values of ``y``. The bands of the figures."""
    if method not in ("t", "log-t"):
        raise ValueError(f"summarise computes the 't' or 'log-t' interval; got {method!r}")
    keys = [by] if isinstance(by, str) else list(by)
    values = frame[y].astype(float).where(np.isfinite(frame[y].astype(float)))
    grouped = values.groupby([frame[k] for k in keys], sort=True)
    out = pd.DataFrame({"mean": grouped.mean(), "std": grouped.std(ddof=1), "count": grouped.count(),
                        "min": grouped.min()})
    q = np.array([t_quantile(int(c), level) for c in out["count"]])
    se = (out["std"] / np.sqrt(out["count"])).to_numpy()
    half = np.where(np.isfinite(q), q * se, 0.0)
    mean = out["mean"].to_numpy()
    log_ok = (method == "log-t") & (out["min"].to_numpy() > 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        factor = np.exp(np.where(log_ok, half / np.where(mean > 0, mean, 1.0), 0.0))
    out["lo"] = np.where(log_ok, mean / factor, mean - half)
    out["hi"] = np.where(log_ok, mean * factor, mean + half)
    return out.drop(columns="min").reset_index()


def holm(p_values: Iterable[float]) -> np.ndarray:
    """Holm's step-down adjustment: the adjusted p-values, in the input order (NaN stays
    NaN). A verdict whose adjusted p-value is below 0.05 holds for the whole family at 95%."""
    p = np.asarray(list(p_values), dtype=float)
    out = np.full(p.shape, math.nan)
    ok = np.flatnonzero(np.isfinite(p))
    if ok.size == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    m = order.size
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def seeds_to_resolve(interval: Interval, half_width: float) -> int | None:
    """Seeds an interval like ``interval`` would need for a half-width of ``half_width``
    (the width shrinks as 1 / sqrt(seeds)); None without an interval."""
    if not interval.finite or interval.n < 2 or not half_width > 0:
        return None
    return max(interval.n, int(math.ceil(interval.n * (interval.half / half_width) ** 2)))
