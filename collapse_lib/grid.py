"""Grids of runs: every cell checked first, each result stored as soon as it exists.

:func:`run_grid` runs :func:`~collapse_lib.simulate.simulate` over the product of parameter
values, for each workflow, with a progress bar and the result store
(:mod:`collapse_lib.store`). Every cell is checked before any is computed, so a bad value in
the last cell fails at once; a cell that fails while running leaves every finished cell in
the store, and the error names the failing cell. The tasks run in this process, on a
local Dask cluster, or on any Dask cluster (a laptop, a workstation, SLURM, the cloud) with
the same numbers (chapter *How to run this book*).
"""

from __future__ import annotations

import itertools
import os
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .registry import fingerprint
from .simulate import check_run, run_arrays, tidy_frame
from .validation import ParameterError, check_bool, check_int, check_seeds
from .workflows import WORKFLOWS, check_workflow

__all__ = ["run_grid", "runner", "GridCellError", "grid_cells", "SCHEDULER_ENV", "SEEDS_PER_TASK"]


class GridCellError(RuntimeError):
    """A cell of a grid failed while running; ``cell`` names it and ``seeds`` the seeds of the
    failing task (every finished task is stored)."""

    def __init__(self, setting: str, workflow: str, cell: Mapping[str, Any], cause: BaseException,
                 seeds: list[int] | None = None) -> None:
        self.cell = {"workflow": workflow, **cell}
        self.seeds = seeds or []
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
    """One task: (setting, workflow, seeds) of one cell; its tidy frame and wall seconds.

    Module level, so that a Dask worker can import it. On a worker the task uses one thread
    (the worker's core); in this process, the setting's own choice."""
    from .registry import get_setting
    from .setting import limit_threads, task_threads

    setting, workflow, T, seeds, params, options, progress = job
    started = time.perf_counter()
    spec = get_setting(setting)
    with limit_threads(1 if _on_worker() else task_threads()):
        arrays = run_arrays(spec, workflow, T, seeds, params, options, progress)
    return tidy_frame(spec, workflow, T, seeds, params, options, arrays), time.perf_counter() - started


def _on_worker() -> bool:
    """Whether this code runs inside a Dask worker."""
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return False
    return True


#: Environment variable naming the Dask scheduler that grids run on (as ``scheduler=``).
SCHEDULER_ENV = "COLLAPSE_SCHEDULER"
#: Seeds per task unless a setting says otherwise (``extra["seeds_per_task"]``).
SEEDS_PER_TASK = 25


def _chunks(seeds: list[int], size: int) -> list[list[int]]:
    return [seeds[i:i + size] for i in range(0, len(seeds), size)]


class _Task:
    """One stored unit: a chunk of the seeds of one (workflow, cell)."""

    def __init__(self, unit: int, cell: dict[str, Any], job: tuple[Any, ...], seeds: list[int]) -> None:
        self.unit, self.cell, self.seeds = unit, cell, seeds
        self.job = (*job[:3], seeds, *job[4:])

    @property
    def workflow(self) -> str:
        return self.job[1]

    def request(self) -> dict[str, Any]:
        from .store import Store

        return Store.request(*self.job[:6])


def _connect(workers: int, scheduler: Any) -> tuple[Any, Callable[[], None]]:
    """A Dask client (and how to close what was opened here), or (None, no-op) in-process.

    ``scheduler``: an address (``tcp://host:8786``), a ``distributed.Client``, or None; with
    None, ``$COLLAPSE_SCHEDULER`` if set; otherwise ``workers > 1`` starts a LocalCluster of
    that many single-threaded worker processes for this call.
    """
    if scheduler is None:
        scheduler = os.environ.get(SCHEDULER_ENV, "").strip() or None
    if scheduler is None and workers == 1:
        return None, lambda: None
    try:
        from distributed import Client, LocalCluster
    except ImportError as err:  # pragma: no cover - pinned
        raise ParameterError("parameters 'workers' > 1 and 'scheduler' need the 'distributed' package "
                             "(pip install distributed)") from err
    if isinstance(scheduler, Client):
        return scheduler, lambda: None
    if scheduler is not None:
        if not isinstance(scheduler, str):
            raise ParameterError("parameter 'scheduler' must be an address such as 'tcp://host:8786', a "
                                 f"distributed.Client, or None; got {type(scheduler).__name__}")
        try:
            client = Client(scheduler, timeout="5s")
        except OSError as err:
            raise ParameterError(f"parameter 'scheduler': no Dask scheduler answers at {scheduler!r} ({err})") from None
        return client, client.close
    import logging

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    client = Client(cluster)

    def close() -> None:
        client.close()
        cluster.close()

    return client, close


def _resources(job: tuple[Any, ...]) -> dict[str, float] | None:
    """What a task asks the scheduler for: a GPU for a language model on CUDA."""
    setting, params = job[0], job[4]
    if setting == "lm" and params.get("device") == "cuda":
        return {"GPU": 1}
    return None


def _check_resources(client: Any, needed: list[dict[str, float]]) -> None:
    wanted = {k for r in needed if r for k in r}
    if not wanted:
        return
    offered = {k for w in client.scheduler_info()["workers"].values() for k in w.get("resources", {})}
    missing = sorted(wanted - offered)
    if missing:
        raise ParameterError(f"the tasks ask for worker resource(s) {missing} (device 'cuda'), but no worker of "
                             f"the cluster offers them: start workers with `dask worker ... --resources GPU=1`")


def runner(use_store: bool = True, workers: int = 1, scheduler: str | None = "") -> dict[str, Any]:
    """The keyword arguments of :func:`run_grid` that say where it runs and stores: a chapter's
    ``use_store``, ``workers`` and ``scheduler`` parameters (``""``: no scheduler)."""
    from .store import location

    return {"cache_dir": location(check_bool("use_store", use_store)),
            "workers": check_int("workers", workers, minimum=1), "scheduler": scheduler or None}


class _SharedList(list):
    """The ``cached`` cells in a frame's ``attrs``: pandas deep-copies ``attrs`` on every
    operation, and a long list of dicts made each derived frame slow; this one is shared, not
    copied (it is never mutated after ``run_grid`` returns)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> _SharedList:
        return self


def run_grid(setting: str, *, workflows: str | Iterable[str] = WORKFLOWS, grid: Mapping[str, Any],
             n_generations: int, seeds: int | Iterable[int], fixed: Mapping[str, Any] | None = None,
             cache_dir: str | os.PathLike[str] | None = None, progress: bool = True,
             skip: Callable[[dict[str, Any]], bool] | None = None, workers: int = 1,
             scheduler: Any = None, seeds_per_task: int | None = None,
             cell_progress: bool = False) -> pd.DataFrame:
    """Run :func:`~collapse_lib.simulate.simulate` over the product of ``grid`` values for
    each workflow; return one tidy frame (cells in grid order, workflows within a cell).

    ``fixed`` holds parameters shared by every cell (the workflow options ``real_mix`` and
    ``fresh_real`` too); ``skip(cell)`` may drop cells. Grid values may be lists, tuples,
    ranges or numpy arrays; a single value is a list of one.

    The work is split into tasks of ``seeds_per_task`` seeds of one (workflow, cell) (default:
    the setting's ``extra["seeds_per_task"]``, else :data:`SEEDS_PER_TASK`; the language
    model runs one chain per task). Every seed owns its random streams, so the numbers do
    not depend on the chunking, the executor or the number of workers. Where they run:
    in this process (the default); on a ``distributed.LocalCluster`` of ``workers``
    single-threaded processes (``workers > 1``); or on an existing Dask cluster
    (``scheduler``: an address such as ``tcp://host:8786`` or a ``distributed.Client``;
    also the environment variable ``COLLAPSE_SCHEDULER``).

    With ``cache_dir`` (a folder, e.g. :func:`collapse_lib.store.location`) every task is read
    from the result store when it holds it for the current code, and written there as soon
    as it finishes: an interrupted grid loses only the tasks in flight, and a rerun computes
    only what is missing. A failing task stops the grid with :class:`GridCellError` naming
    its cell; every finished task is kept. ``cell_progress`` shows a progress bar inside
    each task (long ones, such as ``lm``). The frame's ``attrs``: ``seconds`` (wall time),
    ``units`` ((workflow, cell) runs), ``tasks`` and ``computed`` (tasks in all, and
    computed by this call), ``cached`` (workflow and cell of every unit read whole from the
    store).
    """
    workflow_list = _workflows(workflows)
    workers = check_int("workers", workers, minimum=1)
    progress = check_bool("progress", progress)
    cell_progress = check_bool("cell_progress", cell_progress)
    n_generations = check_int("n_generations", n_generations, minimum=1)
    seed_list = check_seeds(seeds)
    if fixed is not None and not isinstance(fixed, Mapping):
        raise ParameterError(f"parameter 'fixed' must be a mapping name -> value; got {type(fixed).__name__}")
    if seeds_per_task is not None:
        seeds_per_task = check_int("seeds_per_task", seeds_per_task, minimum=1)
    cells = grid_cells(grid, skip)
    from .registry import get_setting
    from .store import Store

    spec = get_setting(setting)
    chunk = seeds_per_task or int(spec.extra.get("seeds_per_task", SEEDS_PER_TASK))
    store = Store(cache_dir) if cache_dir is not None else None
    started = time.perf_counter()
    # 1. check every unit before computing any
    units = []
    for cell in cells:
        kwargs = {**(fixed or {}), **cell}
        options = {k: kwargs.pop(k) for k in ("real_mix", "fresh_real") if k in kwargs}
        for workflow in workflow_list:
            try:
                _, wf, T, seeds_, params, opts = check_run(setting, workflow, n_generations, seed_list,
                                                           **options, **kwargs)
            except ParameterError as err:
                where = "".join(f", {k}={v!r}" for k, v in cell.items())
                raise ParameterError(f"{err} (grid cell: workflow '{workflow}'{where})") from None
            units.append((cell, (setting, wf, T, seeds_, params, opts, cell_progress)))
    tasks = [_Task(u, cell, job, part) for u, (cell, job) in enumerate(units) for part in _chunks(job[3], chunk)]
    # 2. read what the store holds
    code = fingerprint(setting) if store is not None else ""
    frames: list[pd.DataFrame | None] = [None] * len(tasks)
    todo: list[int] = []
    for i, task in enumerate(tasks):
        frame = store.read(task.request(), code, spec.metrics) if store is not None else None
        if frame is not None:
            frames[i] = frame
        else:
            todo.append(i)
    missing_units = {tasks[i].unit for i in todo}
    cached = [{"workflow": job[1], **cell} for u, (cell, job) in enumerate(units) if u not in missing_units]
    from tqdm import tqdm

    bar = tqdm(total=len(tasks), initial=len(tasks) - len(todo), desc=setting, unit="task",
               disable=not progress, mininterval=1.0)

    def keep(i: int, frame: pd.DataFrame, seconds: float) -> None:
        if store is not None:
            store.write(tasks[i].request(), code, frame, seconds)
        frames[i] = frame
        bar.update()

    def failed(i: int, err: BaseException, seeds: list[int] | None = None) -> GridCellError:
        return GridCellError(setting, tasks[i].workflow, tasks[i].cell, err, seeds or tasks[i].seeds)

    client, close = _connect(workers, scheduler) if todo else (None, lambda: None)
    try:
        if client is None:
            _run_here(todo, tasks, keep, failed)
        else:
            _run_dask(client, todo, tasks, keep, failed)
    finally:
        bar.close()
        close()
    out = pd.concat(frames, ignore_index=True)
    out.attrs["seconds"] = time.perf_counter() - started
    out.attrs["cached"] = _SharedList(cached)
    out.attrs["units"] = len(units)
    out.attrs["tasks"] = len(tasks)
    out.attrs["computed"] = len(todo)
    return out


def _run_here(todo: list[int], tasks: list[_Task], keep: Callable[[int, pd.DataFrame, float], None],
              failed: Callable[..., GridCellError]) -> None:
    """In this process: the missing tasks of a unit run as one batch (the fast paths batch
    over seeds), then are split back into their tasks (the numbers are the same)."""
    by_unit: dict[int, list[int]] = {}
    for i in todo:
        by_unit.setdefault(tasks[i].unit, []).append(i)
    for members in by_unit.values():
        first = tasks[members[0]]
        seeds = [s for i in members for s in tasks[i].seeds]
        try:
            frame, seconds = _run_unit((*first.job[:3], seeds, *first.job[4:]))
        except Exception as err:
            raise failed(members[0], err, seeds) from err
        per_seed = seconds / len(seeds)
        for i in members:
            part = frame[frame["seed"].isin(tasks[i].seeds)].reset_index(drop=True)
            keep(i, part, per_seed * len(tasks[i].seeds))


def _run_dask(client: Any, todo: list[int], tasks: list[_Task],
              keep: Callable[[int, pd.DataFrame, float], None],
              failed: Callable[..., GridCellError]) -> None:
    """On a Dask cluster: one task per chunk, stored as each one finishes. A worker that
    dies has its tasks run again elsewhere (the numbers are the same). On the first failure
    the tasks not yet finished are cancelled and the failure is raised, naming its cell."""
    from distributed import as_completed

    resources = [_resources(tasks[i].job) for i in todo]
    _check_resources(client, resources)
    futures = {}
    for i, res in zip(todo, resources):
        key = f"collapse-{tasks[i].job[0]}-{i}-{uuid.uuid4().hex[:8]}"
        futures[client.submit(_run_unit, tasks[i].job, key=key, pure=False, resources=res)] = i
    done = as_completed(list(futures), with_results=False)
    for future in done:
        i = futures[future]
        if future.status == "error":
            err = future.exception()
            client.cancel([f for f in futures if not f.done()])
            raise failed(i, err) from err
        frame, seconds = future.result()
        keep(i, frame, seconds)
