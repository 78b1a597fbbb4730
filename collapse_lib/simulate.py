"""The public entry point :func:`simulate`, the grid runner and the result cache.

Every chapter and every test calls :func:`simulate` (one setting, one workflow, many
seeds) or :func:`run_grid` (a product of parameter values, with a progress bar and an
atomic on-disk cache). Results are tidy: one row per (seed, generation), parameters and
metrics as columns.
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from .validation import ParameterError, check_bool, check_choice, check_float, check_int, check_seeds
from .workflows import WORKFLOWS, check_workflow

__all__ = ["Param", "Setting", "SETTINGS", "get_setting", "simulate", "run_grid", "cache_key"]

#: Bumped when a change alters the numbers a setting produces (invalidates caches).
RESULTS_VERSION = 1


@dataclass(frozen=True)
class Param:
    """One parameter of a setting: its checker (``check(name, value) -> value``) and default."""

    check: Callable[[str, Any], Any]
    default: Any = None
    doc: str = ""
    required: bool = False


@dataclass(frozen=True)
class Setting:
    """A task-setting: its parameters, metric names and batched runner.

    ``run(workflow, n_generations, seeds, params, options, progress)`` returns a mapping
    ``metric -> array (n_seeds, n_generations)``. ``options`` holds the workflow options
    beyond the paper (``real_mix``, ``fresh_real``).
    """

    name: str
    params: Mapping[str, Param]
    metrics: tuple[str, ...]
    run: Callable[..., Mapping[str, np.ndarray]]
    validate: Callable[[dict[str, Any]], None] | None = None
    doc: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


#: Setting name -> module that defines ``SETTING`` (imported on first use: no import cost
#: or side effect for settings a chapter does not touch).
SETTINGS: dict[str, str] = {
    "gaussian": "collapse_lib.gaussian",
    "kde": "collapse_lib.kde",
    "lm": "collapse_lib.lm.task",
    "linear_regression": "collapse_lib.linear_regression",
    "discrete": "collapse_lib.discrete",
}


def get_setting(name: Any) -> Setting:
    """Return the :class:`Setting` called ``name`` (raises naming the known settings)."""
    check_choice("setting", name, tuple(SETTINGS))
    return importlib.import_module(SETTINGS[name]).SETTING


def _check_params(setting: Setting, params: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(params) - set(setting.params))
    if unknown:
        allowed = ", ".join(sorted(setting.params))
        raise ParameterError(f"unknown parameter(s) {', '.join(map(repr, unknown))} for setting "
                             f"'{setting.name}'; allowed: {allowed}")
    out: dict[str, Any] = {}
    for name, spec in setting.params.items():
        if name in params:
            out[name] = spec.check(name, params[name])
        elif spec.required:
            raise ParameterError(f"setting '{setting.name}' needs parameter '{name}' ({spec.doc})")
        else:
            out[name] = spec.default
    if setting.validate is not None:
        setting.validate(out)
    return out


def simulate(setting: str, workflow: str, *, n_generations: int, seeds: int | Iterable[int],
             real_mix: float = 0.0, fresh_real: bool = False, progress: bool = False,
             **params: Any) -> pd.DataFrame:
    """Run ``workflow`` in ``setting`` for every seed; return the tidy results frame.

    ``seeds`` is an int k (seeds 0..k-1) or an iterable of distinct ints. Each seed is an
    independent chain; generation 1 is the fit on the real data. Same arguments give the
    same frame, bit for bit, on one machine.

    >>> simulate("gaussian", "accumulate", n_generations=100, seeds=range(100),
    ...          d=10, n=100, sigma2=1.0)  # doctest: +SKIP
    """
    spec = get_setting(setting)
    workflow = check_workflow(workflow)
    n_generations = check_int("n_generations", n_generations, minimum=1)
    seed_list = check_seeds(seeds)
    options = {"real_mix": check_float("real_mix", real_mix, minimum=0.0, maximum=1.0),
               "fresh_real": check_bool("fresh_real", fresh_real)}
    if options["real_mix"] > 0 and workflow == "accumulate":
        raise ParameterError("parameter 'real_mix' applies to the fixed-size workflows 'replace' "
                             "and 'accumulate-subsample'; got workflow 'accumulate'")
    values = _check_params(spec, dict(params))
    arrays = spec.run(workflow, n_generations, seed_list, values, options, bool(progress))
    s, t = len(seed_list), n_generations
    frame: dict[str, Any] = {
        "setting": np.repeat(setting, s * t),
        "workflow": np.repeat(workflow, s * t),
        "seed": np.repeat(np.asarray(seed_list, dtype=np.int64), t),
        "generation": np.tile(np.arange(1, t + 1, dtype=np.int64), s),
    }
    for name, value in values.items():
        frame[name] = [value] * (s * t) if not np.isscalar(value) else np.repeat(value, s * t)
    frame.update(options)
    for name in spec.metrics:
        arr = np.asarray(arrays[name])
        if arr.shape != (s, t):
            raise RuntimeError(f"setting '{setting}' returned metric '{name}' with shape "
                               f"{arr.shape}, expected {(s, t)}")
        frame[name] = arr.reshape(-1)
    for name, arr in arrays.items():
        if name not in spec.metrics:
            frame[name] = np.asarray(arr).reshape(-1)
    return pd.DataFrame(frame)


def cache_key(payload: Mapping[str, Any]) -> str:
    """A stable short hash of a JSON-serialisable mapping (used to name cached results)."""
    blob = json.dumps({"v": RESULTS_VERSION, **payload}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def atomic_write_pickle(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` so that a reader never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        frame.to_pickle(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _simulate_job(args: tuple[str, str, int, list[int], dict[str, Any], bool]) -> pd.DataFrame:
    setting, workflow, n_generations, seeds, kwargs, progress = args
    return simulate(setting, workflow, n_generations=n_generations, seeds=seeds, progress=progress, **kwargs)


def run_grid(setting: str, *, workflows: Iterable[str] = WORKFLOWS, grid: Mapping[str, Iterable[Any]],
             n_generations: int, seeds: int | Iterable[int], fixed: Mapping[str, Any] | None = None,
             cache_dir: str | os.PathLike[str] | None = None, progress: bool = True,
             skip: Callable[[dict[str, Any]], bool] | None = None, workers: int = 1,
             cell_progress: bool = False) -> pd.DataFrame:
    """Run :func:`simulate` over the product of ``grid`` values for each workflow.

    ``fixed`` holds parameters shared by every cell; ``skip(cell)`` may drop cells. With
    ``cache_dir`` each cell's frame is stored atomically under a hash of its arguments and
    reused on the next call (delete the folder to recompute). A progress bar counts cells.
    ``workers > 1`` runs cells in that many processes; every cell's numbers are the same
    as with one worker (each seed owns its random streams), and the frame keeps the order.
    ``cell_progress`` is passed to :func:`simulate` as ``progress`` (settings with long
    cells, such as ``lm``, then show a bar per generation). The frame's ``attrs`` hold
    ``seconds`` (wall time of this call) and ``cached`` (the workflow and cell of every
    frame read from the cache).
    """
    workflows = [check_workflow(w) for w in workflows]
    workers = check_int("workers", workers, minimum=1)
    if isinstance(grid, Mapping) is False:
        raise ParameterError("parameter 'grid' must be a mapping name -> list of values")
    names = list(grid)
    value_lists = [list(grid[k]) if isinstance(grid[k], (list, tuple, range)) else [grid[k]]
                   for k in names]
    seed_list = check_seeds(seeds)
    cells = [dict(zip(names, combo)) for combo in itertools.product(*value_lists)]
    if skip is not None:
        cells = [c for c in cells if not skip(c)]
    started = time.perf_counter()
    frames: list[pd.DataFrame | None] = []
    cached: list[dict[str, Any]] = []
    todo: list[tuple[int, tuple[str, str, int, list[int], dict[str, Any], bool], Path | None]] = []
    for workflow, cell in ((w, c) for c in cells for w in workflows):
        kwargs = {**(fixed or {}), **cell}
        path = None
        if cache_dir is not None:
            key = cache_key({"setting": setting, "workflow": workflow, "n_generations": n_generations,
                             "seeds": seed_list, **kwargs})
            path = Path(cache_dir) / f"{setting}-{key}.pkl"
            if path.exists():
                frames.append(pd.read_pickle(path))
                cached.append({"workflow": workflow, **cell})
                continue
        frames.append(None)
        todo.append((len(frames) - 1, (setting, workflow, n_generations, seed_list, kwargs, cell_progress), path))
    bar = tqdm(total=len(frames), initial=len(frames) - len(todo), desc=setting, unit="run",
               disable=not progress, mininterval=1.0)

    def store(slot: int, path: Path | None, frame: pd.DataFrame) -> None:
        if path is not None:
            atomic_write_pickle(frame, path)
        frames[slot] = frame
        bar.update()

    if workers == 1 or len(todo) <= 1:
        for slot, job, path in todo:
            store(slot, path, _simulate_job(job))
    else:
        from concurrent.futures import ProcessPoolExecutor, as_completed
        import multiprocessing

        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = {pool.submit(_simulate_job, job): (slot, path) for slot, job, path in todo}
            for future in as_completed(futures):
                store(*futures[future], future.result())
    bar.close()
    out = pd.concat(frames, ignore_index=True)
    out.attrs["seconds"] = time.perf_counter() - started
    out.attrs["cached"] = cached
    return out
