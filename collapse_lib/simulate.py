"""The public entry point :func:`simulate`: one setting, one workflow, many seeds.

:func:`simulate` checks every argument, refuses a run that could not fit in memory, then
dispatches once: the setting's batched fast path where it applies, otherwise the reference
loop :func:`~collapse_lib.workflows.run_chain` over the seeds, each with a fresh task. The
result is tidy: one row per (seed, generation), the parameters and metrics as columns.
Grids of cells, with the result store, are :func:`collapse_lib.grid.run_grid`.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .registry import SETTINGS, check_params, get_setting, part
from .setting import Setting
from .validation import ParameterError, check_bool, check_duration, check_float, check_int, check_seeds
from .workflows import check_workflow, run_chain

__all__ = ["simulate", "check_run", "run_arrays", "memory_estimate", "available_memory", "time_estimate"]


def check_run(setting: str | Setting, workflow: str, n_generations: int, seeds: int | Iterable[int],
              real_mix: float = 0.0, fresh_real: bool = False, **params: Any
              ) -> tuple[Setting, str, int, list[int], dict[str, Any], dict[str, Any]]:
    """Check the arguments of :func:`simulate` without running anything.

    ``setting`` is a name or the :class:`Setting` itself. Returns ``(setting, workflow,
    n_generations, seeds, params, options)`` with the defaults filled in; raises
    :class:`~collapse_lib.validation.ParameterError` naming the first bad argument.
    """
    spec = setting if isinstance(setting, Setting) else get_setting(setting)
    workflow = check_workflow(workflow)
    n_generations = check_int("n_generations", n_generations, minimum=1)
    seed_list = check_seeds(seeds)
    options = {"real_mix": check_float("real_mix", real_mix, minimum=0.0, maximum=1.0),
               "fresh_real": check_bool("fresh_real", fresh_real)}
    if options["real_mix"] > 0 and workflow == "accumulate":
        raise ParameterError("parameter 'real_mix' applies to the fixed-size workflows 'replace' "
                             "and 'accumulate-subsample'; got workflow 'accumulate'")
    values = check_params(spec, params)
    if spec.validate_run is not None:
        spec.validate_run(workflow, n_generations, values)
    check_memory(spec, workflow, n_generations, len(seed_list), values)
    return spec, workflow, n_generations, seed_list, values, options


def available_memory() -> float:
    """Bytes of memory available to a new allocation on this machine (MemAvailable)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return math.inf


def memory_estimate(spec: Setting, workflow: str, n_generations: int, n_seeds: int,
                    params: Mapping[str, Any]) -> float:
    """Bytes a run needs: its tidy output (about 4 copies of 8-byte columns while it is
    assembled) plus what the setting declares for its working state."""
    columns = 4 + len(spec.params) + len(spec.metrics) + len(spec.columns) + 2
    out = 4.0 * 8 * columns * n_seeds * n_generations
    if spec.memory is not None:
        out += float(spec.memory(workflow, n_generations, n_seeds, dict(params)))
    return out


def check_memory(spec: Setting, workflow: str, n_generations: int, n_seeds: int,
                 params: Mapping[str, Any]) -> None:
    """Refuse at once a run whose arrays would not fit in the memory available now."""
    need = memory_estimate(spec, workflow, n_generations, n_seeds, params)
    have = available_memory()
    if need > have:
        sizes = ", ".join(f"{k}={v}" for k, v in params.items() if isinstance(v, int | float) and not
                          isinstance(v, bool))
        raise ParameterError(
            f"setting '{spec.name}', workflow '{workflow}': a run of n_generations={n_generations} x "
            f"seeds={n_seeds} ({sizes}) needs about {need / 2**30:.1f} GiB of memory; "
            f"{have / 2**30:.1f} GiB are available. Lower 'n_generations', 'seeds' or the sizes, "
            "or run the seeds in several calls")


def time_estimate(spec: Setting, workflow: str, n_generations: int, n_seeds: int,
                  params: Mapping[str, Any]) -> float | None:
    """Seconds a run takes in one process on the machine the book is built on, from the
    setting's cost table (its folder's ``cost`` module); None where it has none."""
    cost = part(spec.name, "cost") if spec.name in SETTINGS else None
    if cost is None:
        return None
    seconds = cost.seconds(workflow, n_generations, n_seeds, dict(params))
    return None if seconds is None else float(seconds)


_BLAS: list[Any] = []  # (which packages that bring a BLAS were loaded, threadpoolctl controller)
#: Packages whose import loads a BLAS library of its own.
_BLAS_PACKAGES = ("numpy", "scipy.linalg", "sklearn", "torch")


def one_blas_thread() -> Any:
    """A context in which the BLAS libraries run on one thread: the thread count changes the
    rounding of some operations, and a cluster's workers run one thread each, so every task
    runs so, wherever it runs (chapter *How to run this book*)."""
    from threadpoolctl import ThreadpoolController

    loaded = tuple(name in sys.modules for name in _BLAS_PACKAGES)
    if not _BLAS or _BLAS[0][0] != loaded:  # a BLAS loaded since: look for the libraries again
        _BLAS[:] = [(loaded, ThreadpoolController())]
    return _BLAS[0][1].limit(limits=1, user_api="blas")


def _reference(spec: Setting, workflow: str, n_generations: int, seeds: list[int],
               params: dict[str, Any], options: dict[str, Any], progress: bool
               ) -> dict[str, np.ndarray]:
    """The reference loop over the seeds: metric (and extra column) arrays (S, T)."""
    from tqdm import tqdm

    bar = tqdm(total=len(seeds) * n_generations, desc=f"{spec.name} {workflow}", unit="gen",
               disable=not progress, mininterval=1.0)
    chains = []
    try:
        for seed in seeds:
            chains.append(run_chain(spec.task(params), workflow, n=params["n"],
                                    n_generations=n_generations, seed=seed,
                                    on_generation=lambda t: bar.update(1), **options))
    finally:
        bar.close()
    out: dict[str, np.ndarray] = {}
    for name in spec.metrics + spec.columns:
        values = [[row.get(name, math.nan) for row in chain] for chain in chains]
        kinds = {type(v) for chain in values for v in chain}
        if kinds <= {int, float, bool, np.float64, np.int64, np.bool_}:
            out[name] = np.array(values, dtype=float)
        else:
            arr = np.empty((len(seeds), n_generations), dtype=object)
            for i, chain in enumerate(values):
                for j, v in enumerate(chain):
                    arr[i, j] = v
            out[name] = arr
    return out


def run_arrays(spec: Setting, workflow: str, n_generations: int, seeds: list[int],
               params: dict[str, Any], options: dict[str, Any], progress: bool = False, *,
               reference: bool = False) -> dict[str, np.ndarray]:
    """The dispatch, for checked arguments: the fast path where it applies, else the loop
    (``reference=True`` forces the loop, which the tests compare the fast path with).

    Returns ``name -> (S, T)`` arrays of the metrics and extra columns, after the
    setting's ``finish`` and the finiteness check.
    """
    with one_blas_thread():
        if spec.uses_fast_path(options) and not reference:
            assert spec.fast is not None
            arrays = dict(spec.fast(workflow, n_generations, seeds, params))
        else:
            arrays = _reference(spec, workflow, n_generations, seeds, params, options, progress)
    if spec.finish is not None:
        arrays = spec.finish(arrays, params, n_generations)
    _check_finite(spec, arrays, seeds, params)
    return arrays


def _check_finite(spec: Setting, arrays: Mapping[str, np.ndarray], seeds: list[int],
                  params: Mapping[str, Any]) -> None:
    for name in spec.metrics:
        arr = np.asarray(arrays[name], dtype=float)
        bad = np.isinf(arr) if name in spec.may_be_nan else ~np.isfinite(arr)
        if bad.any():
            i, j = (int(v[0]) for v in np.nonzero(bad))
            given = ", ".join(f"{k}={v!r}" for k, v in params.items())
            raise ParameterError(
                f"setting '{spec.name}': metric '{name}' is {arr[i, j]} at seed {seeds[i]}, "
                f"generation {j + 1}: the parameters ({given}) overflow double precision; "
                "use values of a smaller magnitude")


def simulate(setting: str | Setting, workflow: str, *, n_generations: int, seeds: int | Iterable[int],
             real_mix: float = 0.0, fresh_real: bool = False, progress: bool = False,
             allow_long: bool | None = None, **params: Any) -> pd.DataFrame:
    """Run ``workflow`` in ``setting`` for every seed; return the tidy results frame.

    ``seeds`` is an int k (seeds 0..k-1) or an iterable of distinct ints. Each seed is an
    independent chain; generation 1 is the fit on the real data. Same arguments give the
    same frame, bit for bit, on one machine. ``real_mix`` and ``fresh_real`` are the
    workflow options beyond the paper (:class:`~collapse_lib.workflows.TrainingPool`).

    A run estimated to take more than 10 minutes says so before it starts; one of more
    than a few hours needs ``allow_long=True`` (or ``COLLAPSE_ALLOW_LONG=1``, or a yes at a
    terminal) (:func:`~collapse_lib.validation.check_duration`).

    >>> simulate("gaussian", "accumulate", n_generations=100, seeds=range(100),
    ...          d=10, n=100, sigma2=1.0)  # doctest: +SKIP
    """
    progress = check_bool("progress", progress)
    spec, workflow, n_generations, seed_list, values, options = check_run(
        setting, workflow, n_generations, seeds, real_mix, fresh_real, **params)
    check_duration(f"setting '{spec.name}', workflow '{workflow}', {n_generations} generations x "
                   f"{len(seed_list)} seeds", time_estimate(spec, workflow, n_generations, len(seed_list), values),
                   allow_long)
    arrays = run_arrays(spec, workflow, n_generations, seed_list, values, options, progress)
    return tidy_frame(spec, workflow, n_generations, seed_list, values, options, arrays)


def tidy_frame(spec: Setting, workflow: str, n_generations: int, seeds: list[int],
               params: Mapping[str, Any], options: Mapping[str, Any],
               arrays: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """The tidy frame of one run: one row per (seed, generation)."""
    s, t = len(seeds), n_generations
    frame: dict[str, Any] = {
        "setting": np.repeat(spec.name, s * t),
        "workflow": np.repeat(workflow, s * t),
        "seed": np.repeat(np.asarray(seeds, dtype=np.int64), t),
        "generation": np.tile(np.arange(1, t + 1, dtype=np.int64), s),
    }
    for name, value in params.items():
        frame[name] = [value] * (s * t) if not np.isscalar(value) else np.repeat(value, s * t)
    frame.update({k: np.repeat(v, s * t) for k, v in options.items()})
    for name in spec.metrics:
        arr = np.asarray(arrays[name])
        if arr.shape != (s, t):
            raise RuntimeError(f"setting '{spec.name}' returned metric '{name}' with shape "
                               f"{arr.shape}, expected {(s, t)}")
        frame[name] = arr.reshape(-1)
    for name, arr in arrays.items():
        if name not in spec.metrics:
            frame[name] = np.asarray(arr).reshape(-1)
    return pd.DataFrame(frame)
