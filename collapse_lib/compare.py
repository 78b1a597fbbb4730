"""Every setting side by side, and what each workflow pays (chapters *Accumulate-Subsample:
the fixed-compute compromise* and *Accumulate: a sum that converges*).

* :func:`run_comparison` runs the three workflows of each setting through
  :func:`~collapse_lib.simulate.run_grid` and puts every metric on one scale, relative to the
  first fit (generation 1, the fit on the real data alone): a ratio for errors that start
  near zero (mean error, test MSE, entropy deficit), a difference for a negative
  log-likelihood, which does not start near zero (:data:`DEFAULT_SPECS`).
* :func:`plateau_levels` measures the level where Accumulate-Subsample settles: the mean over
  the last generations, with a 95% interval over seeds. No closed form is known for it; the
  measurement is empirical. :func:`subsample_heuristic` is a back-of-envelope approximation
  for the Gaussian mean (ours, not the paper's, and not a theorem), drawn beside it.
* :func:`compute_accounting` counts the examples each workflow trains on per generation and in
  total: Replace n, Accumulate t n, Accumulate-Subsample n.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .grid import run_grid
from .validation import ParameterError, check_choice, check_int, check_seeds
from .workflows import WORKFLOWS, check_workflow

__all__ = [
    "NORMALISATIONS",
    "SettingSpec",
    "DEFAULT_SPECS",
    "entropy_deficit",
    "run_comparison",
    "normalise",
    "plateau_levels",
    "gaussian_plateau_grid",
    "subsample_heuristic",
    "SUBSAMPLE_HEURISTIC_LIMIT",
    "compute_accounting",
    "load_lm_results",
]

NORMALISATIONS: tuple[str, ...] = ("ratio", "excess")

#: Limit of :func:`subsample_heuristic` for large n and t: pi^2/2 - 2.
SUBSAMPLE_HEURISTIC_LIMIT = math.pi ** 2 / 2 - 2


def entropy_deficit(frame: pd.DataFrame) -> pd.Series:
    """1 - H(p_t) / log K = KL(p_t || uniform) / log K: the discrete fit's divergence from the
    uniform truth, in units of log K (0 at the truth, 1 once one outcome remains)."""
    return 1.0 - frame["normalised_entropy"]


@dataclass(frozen=True)
class SettingSpec:
    """One setting in the comparison: which metric, at which parameters, normalised how.

    ``metric`` is a column of :func:`~collapse_lib.simulate.simulate`'s output, or the name
    of a column that ``derive(frame)`` computes. ``normalise``: ``"ratio"`` (value / mean
    value at generation 1) or ``"excess"`` (value minus the same seed's value at generation 1).
    """

    setting: str
    metric: str
    params: Mapping[str, Any]
    normalise: str
    label: str
    derive: Callable[[pd.DataFrame], pd.Series] | None = None
    unit: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_choice("normalise", self.normalise, NORMALISATIONS)


#: The chapter's default comparison: one cell per setting at n = 100.
DEFAULT_SPECS: tuple[SettingSpec, ...] = (
    SettingSpec("gaussian", "mean_sq_error", {"d": 10, "n": 100, "sigma2": 1.0}, "ratio",
                "Gaussian: mean error"),
    SettingSpec("kde", "test_nll", {"dataset": "moons", "n": 100, "h": 0.1}, "excess",
                "KDE: test NLL", unit="nats"),
    SettingSpec("linear_regression", "test_mse", {"d": 10, "n": 100, "sigma2": 1.0}, "ratio",
                "Linear regression: test MSE"),
    SettingSpec("discrete", "entropy_deficit", {"k": 10, "n": 100}, "ratio",
                "Discrete: entropy deficit", derive=entropy_deficit),
)


def _cell_label(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


def normalise(frame: pd.DataFrame, how: str, *, by: Sequence[str] = ("setting", "cell")) -> pd.Series:
    """``frame.value`` relative to generation 1, within each group of ``by``.

    ``"ratio"``: value / (mean over seeds and workflows of the generation-1 value); dividing
    every seed by the same number keeps the mean of the result the ratio of means, and stays
    finite where one seed's first fit happens to be nearly exact. ``"excess"``: value minus
    the same seed's generation-1 value (a paired difference). Every workflow's generation 1 is
    the same fit on the same real data (:func:`~collapse_lib.workflows.seed_rngs`).
    """
    check_choice("how", how, NORMALISATIONS)
    by = list(by)
    first = frame[frame["generation"] == 1]
    if first.empty:
        raise ParameterError("normalise needs generation 1 in the frame")
    if how == "ratio":
        base = first.groupby(by)["value"].mean().rename("_base")
        merged = frame.join(base, on=by)
        return merged["value"] / merged["_base"]
    keys = by + ["workflow", "seed"]
    base = first.set_index(keys)["value"].rename("_base")
    merged = frame.join(base, on=keys)
    return merged["value"] - merged["_base"]


def run_comparison(specs: Iterable[SettingSpec] = DEFAULT_SPECS, *, n_generations: int,
                   seeds: int | Iterable[int], workflows: Sequence[str] = WORKFLOWS,
                   cache_dir: str | Path | None = None, progress: bool = False, workers: int = 1,
                   scheduler: Any = None) -> pd.DataFrame:
    """Run every spec's three workflows; return one long frame for all settings.

    Columns: setting, label, cell (the parameters as text), workflow, seed, generation,
    metric, value, normalisation, normalised (see :func:`normalise`).
    """
    n_generations = check_int("n_generations", n_generations, minimum=2)
    seed_list = check_seeds(seeds)
    workflows = [check_workflow(w) for w in workflows]
    parts = []
    for spec in specs:
        raw = run_grid(spec.setting, workflows=workflows, grid={}, fixed=dict(spec.params),
                       n_generations=n_generations, seeds=seed_list, cache_dir=cache_dir,
                       progress=progress, workers=workers, scheduler=scheduler)
        value = spec.derive(raw) if spec.derive is not None else raw[spec.metric]
        part = pd.DataFrame({
            "setting": spec.setting, "label": spec.label, "cell": _cell_label(spec.params),
            "workflow": raw["workflow"].to_numpy(), "seed": raw["seed"].to_numpy(),
            "generation": raw["generation"].to_numpy(), "metric": spec.metric,
            "value": np.asarray(value, dtype=float), "normalisation": spec.normalise,
        })
        part["normalised"] = normalise(part, spec.normalise).to_numpy()
        parts.append(part)
    if not parts:
        raise ParameterError("parameter 'specs' must name at least one setting")
    return pd.concat(parts, ignore_index=True)


def plateau_levels(frame: pd.DataFrame, *, last: int, value: str = "normalised",
                   by: Sequence[str] = ("setting", "label", "workflow"), at: int = 10) -> pd.DataFrame:
    """The level each curve settles at: the mean of ``value`` over its last ``last`` generations.

    Each seed is first averaged over the window, then the seeds are averaged: ``level`` with
    a 95% interval ``ci95`` (1.96 standard errors over seeds). ``at_value`` is the mean at
    generation ``at_generation`` = min(``at``, T) (default 10: where the paper says
    Accumulate-Subsample has plateaued), for comparison; ``first_generation`` is the
    window's start.
    """
    last = check_int("last", last, minimum=1)
    at = check_int("at", at, minimum=1)
    by = list(by)
    rows = []
    for key, part in frame.groupby(by, sort=False):
        T = int(part["generation"].max())
        if last > T:
            raise ParameterError(f"parameter 'last'={last} exceeds the {T} generations of the run")
        window = part[part["generation"] > T - last]
        per_seed = window.groupby("seed")[value].mean()
        at_t = min(at, T)
        at_value = part.loc[part["generation"] == at_t, value]
        half = 1.96 * per_seed.std(ddof=1) / math.sqrt(len(per_seed)) if len(per_seed) > 1 else math.nan
        rows.append({**dict(zip(by, key if isinstance(key, tuple) else (key,))),
                     "level": float(per_seed.mean()), "ci95": float(half),
                     "at_generation": at_t, "at_value": float(at_value.mean()) if len(at_value) else math.nan,
                     "first_generation": T - last + 1, "last_generation": T, "seeds": len(per_seed)})
    return pd.DataFrame(rows)


def subsample_heuristic(t: int | np.ndarray, n: int) -> np.ndarray:
    """Approximate Accumulate-Subsample mean error of the Gaussian, in units of d sigma2 / n.

    A back-of-envelope recursion (this book's, not the paper's; no theorem): pretend every
    fitted covariance equals the truth. The fit at generation t is the mean of n points drawn
    without replacement from the pool of t n points, so it is the pool mean P_t plus a
    subsampling error of variance s_t = (t n - n) / (t n - 1) (units of d sigma2 / n); the
    next batch adds its sampling error (variance 1) on top of that, and enters the pool mean
    with weight 1 / (t + 1):

        p_1 = 1,  p_{t+1} = p_t + (s_t + 1) / (t + 1)^2,  error_t ~ p_t + s_t,

    whose limit for large n and t is pi^2/2 - 2 ~ 2.93 (:data:`SUBSAMPLE_HEURISTIC_LIMIT`).
    It ignores the shrinking of the fitted covariance (the MLE's factor (n - 1)/n), so it
    overestimates small-n cells.
    """
    n = check_int("n", n, minimum=2)
    t_arr = np.asarray(t, dtype=np.int64)
    if t_arr.size and t_arr.min() < 1:
        raise ParameterError("generations t start at 1")
    T = int(t_arr.max()) if t_arr.size else 1
    out = np.empty(T)
    p = 1.0
    for k in range(1, T + 1):
        s = (k * n - n) / (k * n - 1)
        out[k - 1] = p + s
        p += (s + 1.0) / (k + 1) ** 2
    return out[t_arr - 1]


def gaussian_plateau_grid(ns: Sequence[int], ds: Sequence[int], *, n_generations: int,
                          seeds: int | Iterable[int], last: int, sigma2: float = 1.0,
                          cache_dir: str | Path | None = None, progress: bool = False, workers: int = 1,
                          scheduler: Any = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accumulate-Subsample's Gaussian mean error over a (d, n) grid, in units of the first fit.

    Normalised by the exact expected first-fit error d sigma2 / n (cells with n <= d are
    kept: their covariance is singular, but the mean error is well defined). Returns (curves, levels):
    the tidy runs with a ``normalised`` column, and per (d, n) the plateau (see
    :func:`plateau_levels`) beside :func:`subsample_heuristic` at the last generation.
    """
    from .settings.gaussian import SingularCovarianceWarning

    with warnings.catch_warnings():
        # n <= d only makes the determinant undefined; the mean error used here is fine
        warnings.simplefilter("ignore", SingularCovarianceWarning)
        runs = run_grid("gaussian", workflows=["accumulate-subsample"], grid={"d": list(ds), "n": list(ns)},
                        fixed={"sigma2": sigma2}, n_generations=n_generations, seeds=seeds,
                        cache_dir=cache_dir, progress=progress, workers=workers, scheduler=scheduler)
    runs = runs.assign(normalised=runs["mean_sq_error"] / (runs["d"] * runs["sigma2"] / runs["n"]))
    levels = plateau_levels(runs, last=last, by=("d", "n"))
    levels["heuristic"] = [float(subsample_heuristic(n_generations, int(n))) for n in levels["n"]]
    return runs, levels.sort_values(["d", "n"], ignore_index=True)


def compute_accounting(n: int, n_generations: int, *, workflows: Sequence[str] = WORKFLOWS,
                       per_example: float = 1.0) -> pd.DataFrame:
    """Examples (or tokens, with ``per_example`` tokens per example) trained on, by workflow.

    Per generation t: Replace n, Accumulate t n, Accumulate-Subsample n. Cumulative to t:
    n t, n t (t + 1) / 2, n t. One row per (workflow, generation); columns ``per_generation``,
    ``cumulative`` and ``relative`` (cumulative over Replace's cumulative).
    """
    n = check_int("n", n, minimum=1)
    T = check_int("n_generations", n_generations, minimum=1)
    if not (per_example > 0 and math.isfinite(per_example)):
        raise ParameterError(f"parameter 'per_example' must be a finite number > 0; got {per_example!r}")
    t = np.arange(1, T + 1)
    rows = []
    for wf in workflows:
        wf = check_workflow(wf)
        per = (t * n if wf == "accumulate" else np.full(T, n)).astype(float) * per_example
        rows.append(pd.DataFrame({"workflow": wf, "generation": t, "per_generation": per,
                                  "cumulative": np.cumsum(per), "relative": np.cumsum(per) / (n * t * per_example)}))
    return pd.concat(rows, ignore_index=True)


def load_lm_results(path: str | Path | None = None) -> pd.DataFrame | None:
    """The language-model chapter's stored results, if the store holds current ones (else None).

    ``path`` is a result-store folder (default: :func:`collapse_lib.store.default_location`)
    or one Parquet file (a file of the store, or any tidy frame with the columns workflow,
    seed, generation and test_loss). From a store only entries made by the current code are
    read (a stale entry is never shown); when they hold several configurations (say a smoke
    run and a full one), only the most recently written configuration is kept, with a
    warning. ``""`` means none.
    """
    from .registry import fingerprint
    from .store import Store, read_file
    from .workflows import WORKFLOWS

    if path is not None and not str(path):
        return None
    p = Path(path) if path is not None else None
    need = {"workflow", "seed", "generation", "test_loss"}
    if p is not None and p.is_file():
        frame, _ = read_file(p)
        return frame if need <= set(frame.columns) else None
    store = Store(p)
    current = fingerprint("lm")
    found: list[tuple[str, tuple[Any, ...], Path]] = []
    for entry in store.entries():
        meta = entry.meta
        if meta is None or entry.setting != "lm" or meta.get("fingerprint") != current:
            continue
        if meta["request"].get("workflow") not in WORKFLOWS:  # e.g. the value-of-synthetic-data cells
            continue
        req = meta["request"]
        config = (req["n_generations"], tuple(req["seeds"]),
                  tuple(sorted((k, str(v)) for k, v in req["params"].items())),
                  tuple(sorted(req["options"].items())))
        found.append((meta.get("created", ""), config, entry.path))
    if not found:
        return None
    found.sort(key=lambda item: item[0])
    newest = found[-1][1]
    kept = [path for _, config, path in found if config == newest]
    if len(kept) < len(found):
        warnings.warn(f"{store.root}: results of {len({c for _, c, _ in found})} language-model "
                      "configurations; kept the most recent one", stacklevel=2)
    frames = [read_file(f)[0] for f in kept]
    frames = [f for f in frames if need <= set(f.columns)]
    return pd.concat(frames, ignore_index=True) if frames else None
