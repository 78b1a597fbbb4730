"""Grids of runs: every cell checked first, each result stored as soon as it exists.

:func:`run_grid` runs :func:`~collapse_lib.simulate.simulate` over the product of parameter
values, for each workflow, with a progress bar and the result store
(:mod:`collapse_lib.store`). Every cell is checked before any is computed, so a bad value in
the last cell fails at once; a cell that fails while running leaves every finished cell in
the store, and the error names the failing cell.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .setting import fingerprint
from .simulate import check_run, run_arrays, tidy_frame
from .validation import ParameterError, check_bool, check_int, check_seeds
from .workflows import WORKFLOWS, check_workflow

__all__ = ["run_grid", "GridCellError", "grid_cells"]


class GridCellError(RuntimeError):
    """A cell of a grid failed while running; ``cell`` names it (the finished ones are stored)."""

    def __init__(self, setting: str, workflow: str, cell: Mapping[str, Any], cause: BaseException) -> None:
        self.cell = {"workflow": workflow, **cell}
        where = ", ".join(f"{k}={v!r}" for k, v in cell.items()) or "no grid parameters"
        super().__init__(f"setting '{setting}', workflow '{workflow}', cell ({where}) failed: "
                         f"{type(cause).__name__}: {cause}")


def _values(name: str, value: Any) -> list[Any]:
    """A grid entry as a list: a list, tuple, range or numpy array is its values; anything
    else (a string too) is a single value."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple | range):
        items = [v.item() if isinstance(v, np.generic) else v for v in value]
        if not items:
            raise ParameterError(f"grid parameter '{name}' has no values: give at least one")
        return items
    if isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping):
        raise ParameterError(f"grid parameter '{name}' must be a list of values (or one value); "
                             f"got {type(value).__name__}")
    return [value.item() if isinstance(value, np.generic) else value]


def grid_cells(grid: Mapping[str, Any], skip: Callable[[dict[str, Any]], bool] | None = None
               ) -> list[dict[str, Any]]:
    """The cells of ``grid`` (the product of its value lists) that ``skip`` keeps."""
    if not isinstance(grid, Mapping):
        raise ParameterError("parameter 'grid' must be a mapping name -> list of values; "
                             f"got {type(grid).__name__}")
    names = list(grid)
    lists = [_values(k, grid[k]) for k in names]
    cells = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*lists)]
    if skip is not None:
        kept = [c for c in cells if not skip(c)]
        if not kept:
            raise ParameterError(f"every one of the {len(cells)} cells of the grid was skipped: "
                                 "nothing to run")
        cells = kept
    return cells


def _workflows(workflows: Any) -> list[str]:
    if isinstance(workflows, str):
        return [check_workflow(workflows)]
    try:
        items = list(workflows)
    except TypeError:
        raise ParameterError("parameter 'workflows' must be a workflow name or a list of them; "
                             f"got {workflows!r}") from None
    if not items:
        raise ParameterError(f"parameter 'workflows' must name at least one of {', '.join(WORKFLOWS)}")
    return [check_workflow(w) for w in items]


def _run_unit(job: tuple[str, str, int, list[int], dict[str, Any], dict[str, Any], bool]
              ) -> tuple[pd.DataFrame, float]:
    """One (setting, workflow, cell, seeds) unit: its tidy frame and wall seconds."""
    from .setting import get_setting

    setting, workflow, T, seeds, params, options, progress = job
    started = time.perf_counter()
    spec = get_setting(setting)
    arrays = run_arrays(spec, workflow, T, seeds, params, options, progress)
    return tidy_frame(spec, workflow, T, seeds, params, options, arrays), time.perf_counter() - started


def run_grid(setting: str, *, workflows: str | Iterable[str] = WORKFLOWS, grid: Mapping[str, Any],
             n_generations: int, seeds: int | Iterable[int], fixed: Mapping[str, Any] | None = None,
             cache_dir: str | os.PathLike[str] | None = None, progress: bool = True,
             skip: Callable[[dict[str, Any]], bool] | None = None, workers: int = 1,
             cell_progress: bool = False) -> pd.DataFrame:
    """Run :func:`~collapse_lib.simulate.simulate` over the product of ``grid`` values for
    each workflow; return one tidy frame (cells in grid order, workflows within a cell).

    ``fixed`` holds parameters shared by every cell (the workflow options ``real_mix`` and
    ``fresh_real`` too); ``skip(cell)`` may drop cells. Grid values may be lists, tuples,
    ranges or numpy arrays; a single value is a list of one. With ``cache_dir`` (a folder,
    e.g. :func:`collapse_lib.store.location`) every unit is read from the result store when
    it holds it for the current code, and written there as soon as it is computed.
    ``workers > 1`` runs units in that many processes; the numbers do not depend on it.
    ``cell_progress`` shows a progress bar inside each unit (long ones, such as ``lm``).
    The frame's ``attrs``: ``seconds`` (wall time of this call), ``units`` (the number of
    (workflow, cell) runs) and ``cached`` (workflow and cell of every unit read from the store).
    """
    workflow_list = _workflows(workflows)
    workers = check_int("workers", workers, minimum=1)
    progress = check_bool("progress", progress)
    cell_progress = check_bool("cell_progress", cell_progress)
    n_generations = check_int("n_generations", n_generations, minimum=1)
    seed_list = check_seeds(seeds)
    if fixed is not None and not isinstance(fixed, Mapping):
        raise ParameterError(f"parameter 'fixed' must be a mapping name -> value; got {type(fixed).__name__}")
    cells = grid_cells(grid, skip)
    from .store import Store

    store = Store(cache_dir) if cache_dir is not None else None
    started = time.perf_counter()
    # 1. check every unit before computing any
    units = []
    for cell in cells:
        kwargs = {**(fixed or {}), **cell}
        options = {k: kwargs.pop(k) for k in ("real_mix", "fresh_real") if k in kwargs}
        for workflow in workflow_list:
            try:
                spec, wf, T, seeds_, params, opts = check_run(setting, workflow, n_generations,
                                                              seed_list, **options, **kwargs)
            except ParameterError as err:
                where = "".join(f", {k}={v!r}" for k, v in cell.items())
                raise ParameterError(f"{err} (grid cell: workflow '{workflow}'{where})") from None
            units.append((cell, (setting, wf, T, seeds_, params, opts, cell_progress)))
    # 2. read what the store holds
    code = fingerprint(setting) if store is not None else ""
    frames: list[pd.DataFrame | None] = [None] * len(units)
    cached: list[dict[str, Any]] = []
    todo: list[int] = []
    for i, (cell, job) in enumerate(units):
        if store is not None:
            frame = store.read(Store.request(*job[:6]), code, spec.metrics)
            if frame is not None:
                frames[i] = frame
                cached.append({"workflow": job[1], **cell})
                continue
        todo.append(i)
    from tqdm import tqdm

    bar = tqdm(total=len(units), initial=len(units) - len(todo), desc=setting, unit="run",
               disable=not progress, mininterval=1.0)

    def keep(i: int, frame: pd.DataFrame, seconds: float) -> None:
        if store is not None:
            store.write(Store.request(*units[i][1][:6]), code, frame, seconds)
        frames[i] = frame
        bar.update()

    def failed(i: int, err: BaseException) -> GridCellError:
        cell, job = units[i]
        return GridCellError(setting, job[1], cell, err)

    try:
        if workers == 1 or len(todo) <= 1:
            for i in todo:
                try:
                    frame, seconds = _run_unit(units[i][1])
                except Exception as err:
                    raise failed(i, err) from err
                keep(i, frame, seconds)
        else:
            _run_parallel(todo, units, workers, keep, failed)
    finally:
        bar.close()
    out = pd.concat(frames, ignore_index=True)
    out.attrs["seconds"] = time.perf_counter() - started
    out.attrs["cached"] = cached
    out.attrs["units"] = len(units)
    return out


def _run_parallel(todo: list[int], units: list[Any], workers: int,
                  keep: Callable[[int, pd.DataFrame, float], None],
                  failed: Callable[[int, BaseException], GridCellError]) -> None:
    """Run the units ``todo`` in ``workers`` processes; store each as it finishes. On the
    first failure, start nothing new, let the running units finish (and store them), then
    raise the failure naming its cell."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    error: GridCellError | None = None
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = {pool.submit(_run_unit, units[i][1]): i for i in todo}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                i = futures[future]
                if future.cancelled():
                    continue
                exc = future.exception()
                if exc is not None:
                    if error is None:
                        error = failed(i, exc)
                        error.__cause__ = exc
                        for other in pending:
                            other.cancel()
                    continue
                keep(i, *future.result())
    if error is not None:
        raise error
