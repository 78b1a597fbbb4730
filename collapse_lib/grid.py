"""Grids of runs: every cell checked first, each result stored as soon as it exists.

:func:`run_grid` runs :func:`~collapse_lib.simulate.simulate` over the product of parameter
values, for each workflow, with a progress bar and the result store
(:mod:`collapse_lib.store`). Every cell is checked before any is computed, so a bad value in
the last cell fails at once; a run estimated to be long says so first (and a very long one
needs ``allow_long=True``); a cell that fails while running leaves every finished cell in
the store, and the error names the failing cell. The tasks run in this process, on a local
Dask cluster, or on any Dask cluster (a laptop, a workstation, SLURM, the cloud) with the
same numbers, bit for bit (chapter *How to run this book*). Two processes that run grids on
one store compute each task once: a task is computed under its unit's lock, and the other
process reads what the first wrote.
"""

from __future__ import annotations

import ast
import itertools
import os
import re
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .files import location
from .registry import fingerprint, get_setting
from .setting import Setting, limit_threads, task_threads
from .simulate import check_run, run_arrays, tidy_frame, time_estimate
from .validation import (
    ParameterError,
    check_bool,
    check_distinct,
    check_duration,
    check_int,
    check_seeds,
)
from .workflows import WORKFLOWS, check_workflow

if TYPE_CHECKING:  # the store is imported when a grid uses it: `python -m collapse_lib.store` runs it first
    from .store import Store, UnitLock

__all__ = ["run_grid", "runner", "GridCellError", "grid_cells", "Job", "SCHEDULER_ENV", "SEEDS_PER_TASK"]


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


@dataclass(frozen=True)
class Job:
    """One task of a grid: ``seeds`` of one (workflow, cell), with checked arguments, as
    :func:`~collapse_lib.simulate.simulate` runs them. Sent to a Dask worker, it travels
    with its setting's name and finds the setting there (:meth:`__reduce__`)."""

    setting: Setting
    workflow: str
    n_generations: int
    seeds: tuple[int, ...]
    params: Mapping[str, Any]
    options: Mapping[str, Any]
    progress: bool = False

    def part(self, seeds: Iterable[int]) -> Job:
        """The same job for other ``seeds``."""
        return replace(self, seeds=tuple(seeds))

    def request(self) -> dict[str, Any]:
        """The store's key arguments of this job (:meth:`collapse_lib.store.Store.request`)."""
        from .store import Store

        return Store.request(self.setting.name, self.workflow, self.n_generations, list(self.seeds),
                             self.params, self.options)

    def resources(self) -> dict[str, float] | None:
        """What the job asks a Dask scheduler for (the setting's ``resources``)."""
        return self.setting.task_resources(self.params)

    def estimate(self) -> float | None:
        """Seconds it takes in one process here, from the setting's cost table (None: unknown)."""
        return time_estimate(self.setting, self.workflow, self.n_generations, len(self.seeds), self.params)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return _job, (self.setting.name, self.workflow, self.n_generations, self.seeds, dict(self.params),
                      dict(self.options), self.progress)


def _job(setting: str, *rest: Any) -> Job:
    return Job(get_setting(setting), *rest)


def _run_job(job: Job) -> tuple[pd.DataFrame, float]:
    """One task: its tidy frame and wall seconds.

    Module level, so that a Dask worker can import it. On a worker the task uses one thread
    (the worker's core); in this process, the setting's own choice."""
    started = time.perf_counter()
    with limit_threads(1 if _on_worker() else task_threads()):
        arrays = run_arrays(job.setting, job.workflow, job.n_generations, list(job.seeds), dict(job.params),
                            dict(job.options), job.progress)
    frame = tidy_frame(job.setting, job.workflow, job.n_generations, list(job.seeds), job.params, job.options,
                       arrays)
    return frame, time.perf_counter() - started


def _on_worker() -> bool:
    """Whether this code runs inside a Dask worker."""
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return False
    return True


# --- checking the arguments ----------------------------------------------------------------

#: Names that are arguments of run_grid (or simulate) itself, never a cell's parameter.
_RUN_ARGUMENTS = ("setting", "workflow", "workflows", "n_generations", "seeds", "progress", "allow_long")


def _values(name: str, value: Any) -> list[Any]:
    """A grid entry as a list: a list, tuple, range or numpy array is its values; anything
    else (a string too) is a single value. A repeated value is refused."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple | range):
        items = [v.item() if isinstance(v, np.generic) else v for v in value]
        if not items:
            raise ParameterError(f"grid parameter '{name}' has no values: give at least one")
        return check_distinct(name, items, what="grid parameter")
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
    if skip is not None and not callable(skip):
        raise ParameterError("parameter 'skip' must be a function cell -> bool (True drops the cell) or None; "
                             f"got {skip!r} (type {type(skip).__name__})")
    names = list(grid)
    lists = [_values(name, grid[name]) for name in names]
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
    return check_distinct("workflows", [check_workflow(w) for w in items])


def _check_names(grid: Mapping[str, Any], fixed: Mapping[str, Any]) -> None:
    """A name in both ``fixed`` and ``grid``, or one that is an argument of run_grid itself,
    is refused (it would be silently overridden, or fail deep inside)."""
    for where, names in (("grid", list(grid)), ("fixed", list(fixed))):
        bad = [n for n in names if not isinstance(n, str)]
        if bad:
            raise ParameterError(f"parameter '{where}' must map parameter names (strings) to values; "
                                 f"got key {bad[0]!r}")
        own = [n for n in names if n in _RUN_ARGUMENTS]
        if own:
            raise ParameterError(f"parameter '{where}' names {own[0]!r}, an argument of run_grid itself, not a "
                                 f"parameter of a cell: pass {own[0]}=... to run_grid")
    both = sorted(set(grid) & set(fixed))
    if both:
        raise ParameterError(f"parameter(s) {', '.join(map(repr, both))} given both in 'fixed' and in 'grid': "
                             "the grid's values would override the fixed one; give each parameter in one place")


#: Environment variable naming the Dask scheduler that grids run on (as ``scheduler=``).
SCHEDULER_ENV = "COLLAPSE_SCHEDULER"
#: Seeds per task unless a setting says otherwise (``extra["seeds_per_task"]``).
SEEDS_PER_TASK = 25
_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ws|wss|ucx)://)?(?:\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+):\d{1,5}$|^inproc://\S+$")


def _check_scheduler(scheduler: Any, name: str = "scheduler") -> Any:
    """``scheduler`` checked (an address, a Client, or None), before any work."""
    if scheduler is None:
        value = os.environ.get(SCHEDULER_ENV, "").strip()
        if not value:
            return None
        scheduler, name = value, f"{SCHEDULER_ENV} (environment)"
    if isinstance(scheduler, str):
        if not scheduler.strip():
            return None
        if not _ADDRESS.match(scheduler.strip()):
            raise ParameterError(f"parameter '{name}' must be the address of a Dask scheduler such as "
                                 "'tcp://host:8786' (or 'tls://host:8786' with TLS), a distributed.Client, or "
                                 f"None; got {scheduler!r}")
        return scheduler.strip()
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - pinned
        Client = ()  # type: ignore[assignment]
    if not isinstance(scheduler, Client):
        raise ParameterError(f"parameter '{name}' must be an address such as 'tcp://host:8786', a "
                             f"distributed.Client, or None; got {type(scheduler).__name__}")
    return scheduler


def _is_main_test(test: ast.expr) -> bool:
    """Whether ``test`` is ``__name__ == "__main__"`` (either way round)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return ({s.id for s in sides if isinstance(s, ast.Name)} == {"__name__"}
            and {s.value for s in sides if isinstance(s, ast.Constant)} == {"__main__"})


def _unguarded_line() -> tuple[str, int] | None:
    """(script, line) when this call comes from the top level of the script Python runs,
    outside ``if __name__ == "__main__":``; None otherwise (a guarded call, a function
    called from the guard, a notebook, an interactive session, a test runner)."""
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None)
    if not script or not str(script).endswith(".py"):
        return None
    frame = sys._getframe(1)
    while frame is not None and not (frame.f_code.co_name == "<module>"
                                     and frame.f_globals.get("__name__") == "__main__"):
        frame = frame.f_back
    if frame is None:
        return None
    try:
        if Path(frame.f_code.co_filename).resolve() != Path(script).resolve():
            return None
        tree = ast.parse(Path(script).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    line = frame.f_lineno
    for node in tree.body:
        if isinstance(node, ast.If) and _is_main_test(node.test) and node.lineno <= line <= (node.end_lineno or line):
            return None
    return str(script), line


_GUARD_HELP = ("worker processes start by importing the script again (Python's 'spawn'), so its top-level "
               "code would run in every worker and start workers of its own. Put the code that runs grids "
               "under `if __name__ == \"__main__\":` (chapter *How to run this book*), or use workers=1")


def _connect(workers: int, scheduler: Any) -> tuple[Any, Callable[[], None]]:
    """A Dask client (and how to close what was opened here), or (None, no-op) in-process.

    ``scheduler`` (checked by :func:`_check_scheduler`): an address, a ``distributed.Client``,
    or None; with None, ``workers > 1`` starts a LocalCluster of that many single-threaded
    worker processes for this call.
    """
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
        try:
            client = Client(scheduler, timeout="5s")
        except (OSError, ValueError, TypeError) as err:
            raise ParameterError(f"parameter 'scheduler': no Dask scheduler answers at {scheduler!r} "
                                 f"({type(err).__name__}: {err})") from None
        return client, client.close
    unguarded = _unguarded_line()
    if unguarded is not None:
        raise ParameterError(f"parameter 'workers' = {workers} starts a local cluster from line {unguarded[1]} of "
                             f"{unguarded[0]}, outside `if __name__ == \"__main__\":`: {_GUARD_HELP}")
    import logging

    try:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
    except Exception as err:
        if "Nanny failed to start" in f"{err} {err.__cause__}":
            raise RuntimeError(f"the local cluster's workers did not start ({err}). If this runs from a script: "
                               f"{_GUARD_HELP}") from err
        raise
    client = Client(cluster)

    def close() -> None:
        client.close()
        cluster.close()

    return client, close


def _threads(client: Any) -> int:
    """Threads of the cluster's workers (what runs tasks at the same time)."""
    try:
        return max(1, sum(int(w.get("nthreads", 1)) for w in client.scheduler_info()["workers"].values()))
    except Exception:  # an unusual client: assume one
        return 1


def _check_resources(client: Any, needed: list[dict[str, float] | None]) -> None:
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
    return {"cache_dir": location(check_bool("use_store", use_store)),
            "workers": check_int("workers", workers, minimum=1), "scheduler": scheduler or None}


class _SharedList(list):
    """The ``cached`` cells in a frame's ``attrs``: pandas deep-copies ``attrs`` on every
    operation, and a long list of dicts made each derived frame slow; this one is shared, not
    copied (it is never mutated after ``run_grid`` returns)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> _SharedList:
        return self


# --- running the tasks ---------------------------------------------------------------------

def _signature(path: Path | None) -> tuple[int, int, int] | None:
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


@dataclass
class _Task:
    """One stored unit: a chunk of the seeds of one (workflow, cell)."""

    unit: int
    cell: dict[str, Any]
    job: Job
    request: dict[str, Any]
    path: Path | None = None
    seen: tuple[int, int, int] | None = None  # its file when the store was first read
    lock: UnitLock | None = field(default=None, repr=False)


class _Execution:
    """The tasks of one call, their frames, the store, the locks and the progress bar."""

    def __init__(self, spec: Setting, tasks: list[_Task], store: Store | None, code: str, bar: Any) -> None:
        self.spec, self.tasks, self.store, self.code, self.bar = spec, tasks, store, code, bar
        self.frames: list[pd.DataFrame | None] = [None] * len(tasks)
        self.shared = 0  # tasks another process stored while this call ran

    def claim(self, i: int, wait: bool = False) -> str:
        """``"mine"`` (this process computes task ``i``), ``"busy"`` (another process holds its
        lock now) or ``"stored"`` (another process stored it meanwhile: read)."""
        if self.store is None:
            return "mine"
        task = self.tasks[i]
        lock = self.store.lock(task.request, self.code)
        if not lock.acquire(wait=wait):
            return "busy"
        task.lock = lock
        if _signature(task.path) != task.seen:  # written or replaced since the first look
            frame = self.store.read(task.request, self.code, self.spec.metrics)
            if frame is not None:
                self.frames[i] = frame
                self.shared += 1
                self.bar.update()
                lock.release(done=True)
                task.lock = None
                return "stored"
        return "mine"

    def keep(self, i: int, frame: pd.DataFrame, seconds: float) -> None:
        """Task ``i`` finished here: store it (a failing store warns once and keeps going)."""
        task = self.tasks[i]
        written = self.store is not None and self.store.write(task.request, self.code, frame, seconds) is not None
        self.frames[i] = frame
        self.bar.update()
        if task.lock is not None:
            task.lock.release(done=written)
            task.lock = None

    def release(self) -> None:
        for task in self.tasks:
            if task.lock is not None:
                task.lock.release()
                task.lock = None

    def failed(self, i: int, err: BaseException, seeds: list[int] | None = None) -> GridCellError:
        task = self.tasks[i]
        return GridCellError(self.spec.name, task.job.workflow, task.cell, err, seeds or list(task.job.seeds))

    def waiting(self) -> None:
        self.bar.set_description(f"{self.spec.name} (waiting for another process on this store)", refresh=True)


def run_grid(setting: str | Setting, *, workflows: str | Iterable[str] = WORKFLOWS, grid: Mapping[str, Any],
             n_generations: int, seeds: int | Iterable[int], fixed: Mapping[str, Any] | None = None,
             cache_dir: str | os.PathLike[str] | None = None, progress: bool = True,
             skip: Callable[[dict[str, Any]], bool] | None = None, workers: int = 1,
             scheduler: Any = None, seeds_per_task: int | None = None,
             cell_progress: bool = False, allow_long: bool | None = None) -> pd.DataFrame:
    """Run :func:`~collapse_lib.simulate.simulate` over the product of ``grid`` values for
    each workflow; return one tidy frame (cells in grid order, workflows within a cell).

    ``fixed`` holds parameters shared by every cell (the workflow options ``real_mix`` and
    ``fresh_real`` too); ``skip(cell)`` may drop cells. Grid values may be lists, tuples,
    ranges or numpy arrays; a single value is a list of one. A repeated workflow or grid
    value, and a parameter in both ``fixed`` and ``grid``, are refused.

    The work is split into tasks of ``seeds_per_task`` seeds of one (workflow, cell) (default:
    the setting's ``extra["seeds_per_task"]``, else :data:`SEEDS_PER_TASK`; the language
    model runs one chain per task). Every seed owns its random streams and every task runs
    its linear algebra on one thread, so the numbers do not depend on the chunking, the
    executor or the number of workers. Where they run: in this process (the default); on a
    ``distributed.LocalCluster`` of ``workers`` single-threaded processes (``workers > 1``;
    from a script, under ``if __name__ == "__main__":``); or on an existing Dask cluster
    (``scheduler``: an address such as ``tcp://host:8786`` or a ``distributed.Client``;
    also the environment variable ``COLLAPSE_SCHEDULER``).

    With ``cache_dir`` (a folder, e.g. :func:`collapse_lib.store.location`) every task is read
    from the result store when it holds it for the current code, and written there as soon
    as it finishes: an interrupted grid loses only the tasks in flight, and a rerun computes
    only what is missing. Another process running on the same store at the same time
    computes each task once between them (per-unit locks). A store that cannot be written
    warns once; the frame is complete all the same. A failing task stops the grid with
    :class:`GridCellError` naming its cell; every finished task is kept.

    A grid estimated (from the setting's measured cost) to take more than 10 minutes says
    so in its progress bar and output; one of more than a few hours needs
    ``allow_long=True`` (:func:`~collapse_lib.validation.check_duration`).

    ``cell_progress`` shows a progress bar inside each task (long ones, such as ``lm``). The
    frame's ``attrs``: ``seconds`` (wall time), ``units`` ((workflow, cell) runs), ``tasks``
    and ``computed`` (tasks in all, and computed by this call), ``shared`` (tasks another
    process stored while this call waited for them), ``cached`` (workflow and cell of every
    unit read whole from the store).
    """
    spec = setting if isinstance(setting, Setting) else get_setting(setting)
    workflow_list = _workflows(workflows)
    workers = check_int("workers", workers, minimum=1)
    progress = check_bool("progress", progress)
    cell_progress = check_bool("cell_progress", cell_progress)
    n_generations = check_int("n_generations", n_generations, minimum=1)
    if allow_long is not None:
        allow_long = check_bool("allow_long", allow_long)
    seed_list = check_seeds(seeds)
    if fixed is None:
        fixed = {}
    if not isinstance(fixed, Mapping):
        raise ParameterError(f"parameter 'fixed' must be a mapping name -> value; got {type(fixed).__name__}")
    if not isinstance(grid, Mapping):
        raise ParameterError("parameter 'grid' must be a mapping name -> list of values; "
                             f"got {type(grid).__name__}")
    _check_names(grid, fixed)
    if seeds_per_task is not None:
        seeds_per_task = check_int("seeds_per_task", seeds_per_task, minimum=1)
    scheduler = _check_scheduler(scheduler)
    from .store import Store

    store = Store(cache_dir) if cache_dir is not None else None
    cells = grid_cells(grid, skip)
    chunk = seeds_per_task or int(spec.extra.get("seeds_per_task", SEEDS_PER_TASK))
    started = time.perf_counter()
    # 1. check every unit before computing any
    units: list[tuple[dict[str, Any], Job]] = []
    for cell in cells:
        kwargs = {**fixed, **cell}
        options = {k: kwargs.pop(k) for k in ("real_mix", "fresh_real") if k in kwargs}
        for workflow in workflow_list:
            try:
                _, wf, T, seeds_, params, opts = check_run(spec, workflow, n_generations, seed_list,
                                                           **options, **kwargs)
            except ParameterError as err:
                where = "".join(f", {k}={v!r}" for k, v in cell.items())
                raise ParameterError(f"{err} (grid cell: workflow '{workflow}'{where})") from None
            units.append((cell, Job(spec, wf, T, tuple(seeds_), params, opts, cell_progress)))
    tasks = []
    for u, (cell, job) in enumerate(units):
        for i in range(0, len(job.seeds), chunk):
            part = job.part(job.seeds[i:i + chunk])
            tasks.append(_Task(u, cell, part, part.request()))
    # 2. read what the store holds
    code = fingerprint(spec.name) if store is not None else ""
    frames: list[pd.DataFrame | None] = [None] * len(tasks)
    todo: list[int] = []
    for i, task in enumerate(tasks):
        if store is not None:
            task.path = store.path(task.request, code)
            task.seen = _signature(task.path)
            frames[i] = store.read(task.request, code, spec.metrics) if task.seen is not None else None
        if frames[i] is None:
            todo.append(i)
    missing_units = {tasks[i].unit for i in todo}
    cached = [{"workflow": job.workflow, **cell} for u, (cell, job) in enumerate(units) if u not in missing_units]
    # 3. how long, where; then compute what is missing
    client, close = None, (lambda: None)
    shared = 0
    try:
        estimate = ""
        if todo:
            if scheduler is None:
                estimate = _announce(spec, tasks, todo, workers, allow_long)
            client, close = _connect(workers, scheduler)
            if scheduler is not None:
                estimate = _announce(spec, tasks, todo, _threads(client), allow_long)
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), initial=len(tasks) - len(todo), unit="task", disable=not progress,
                   mininterval=1.0, desc=f"{spec.name} ({estimate})" if estimate else spec.name)
        run = _Execution(spec, tasks, store, code, bar)
        for i in range(len(tasks)):
            run.frames[i] = frames[i]
        try:
            if client is None:
                _run_here(run, todo)
            else:
                _run_dask(run, client, todo)
        finally:
            run.release()
            bar.close()
        frames, shared = run.frames, run.shared
    finally:
        close()
    out = pd.concat(frames, ignore_index=True)
    out.attrs["seconds"] = time.perf_counter() - started
    out.attrs["cached"] = _SharedList(cached)
    out.attrs["units"] = len(units)
    out.attrs["tasks"] = len(tasks)
    out.attrs["computed"] = len(todo) - shared
    out.attrs["shared"] = shared
    return out


def _announce(spec: Setting, tasks: list[_Task], todo: list[int], parallel: int, allow_long: bool | None) -> str:
    """The estimate of the tasks to compute, in words (``""`` when short or unknown), after
    refusing a very long run (:func:`~collapse_lib.validation.check_duration`)."""
    times = [tasks[i].job.estimate() for i in todo]
    seconds = None if any(t is None for t in times) else sum(times) / max(1, parallel)  # type: ignore[arg-type]
    where = f" on {parallel} workers" if parallel > 1 else " in this process"
    return check_duration(f"setting '{spec.name}': {len(todo)} task(s) to compute{where}", seconds, allow_long)


def _run_here(run: _Execution, todo: list[int]) -> None:
    """In this process: the missing tasks of a unit that this process may compute run as one
    batch (the fast paths batch over seeds), then are split back into their tasks (the
    numbers are the same); tasks another process is computing are waited for, then read."""
    by_unit: dict[int, list[int]] = {}
    for i in todo:
        by_unit.setdefault(run.tasks[i].unit, []).append(i)
    deferred: list[int] = []
    for members in by_unit.values():
        mine = []
        for i in members:
            state = run.claim(i)
            if state == "mine":
                mine.append(i)
            elif state == "busy":
                deferred.append(i)
        _compute(run, mine)
    if deferred:
        run.waiting()
    for i in deferred:
        if run.claim(i, wait=True) == "mine":
            _compute(run, [i])


def _compute(run: _Execution, members: list[int]) -> None:
    if not members:
        return
    first = run.tasks[members[0]].job
    seeds = [s for i in members for s in run.tasks[i].job.seeds]
    try:
        frame, seconds = _run_job(first.part(seeds))
    except Exception as err:
        raise run.failed(members[0], err, seeds) from err
    per_seed = seconds / len(seeds)
    rows = first.n_generations
    start = 0
    for i in members:
        size = len(run.tasks[i].job.seeds) * rows
        run.keep(i, frame.iloc[start:start + size].reset_index(drop=True), per_seed * len(run.tasks[i].job.seeds))
        start += size


def _run_dask(run: _Execution, client: Any, todo: list[int]) -> None:
    """On a Dask cluster: one Dask task per task, stored as each one finishes. A worker that
    dies has its tasks run again elsewhere (the numbers are the same). On the first failure
    the tasks not yet finished are cancelled and the failure is raised, naming its cell. At
    most a few hundred tasks are in flight (each holds its unit's lock)."""
    from distributed import as_completed

    resources = {i: run.tasks[i].job.resources() for i in todo}
    _check_resources(client, list(resources.values()))
    window = max(256, 4 * _threads(client))
    queue, deferred = deque(todo), deque()
    futures: dict[Any, int] = {}
    done = as_completed([], with_results=False)

    def submit(i: int) -> None:
        key = f"collapse-{run.spec.name}-{i}-{uuid.uuid4().hex[:8]}"
        future = client.submit(_run_job, run.tasks[i].job, key=key, pure=False, resources=resources[i])
        futures[future] = i
        done.add(future)

    def fill(retry: bool) -> None:
        for _ in range(len(deferred) if retry else 0):
            i = deferred.popleft()
            state = run.claim(i)
            if state == "mine":
                submit(i)
            elif state == "busy":
                deferred.append(i)
        while queue and len(futures) < window:
            i = queue.popleft()
            state = run.claim(i)
            if state == "mine":
                submit(i)
            elif state == "busy":
                deferred.append(i)

    fill(False)
    retried = time.monotonic()
    while futures or deferred:
        if not futures:
            run.waiting()
            i = deferred.popleft()
            if run.claim(i, wait=True) == "mine":
                submit(i)
            continue
        future = next(done)
        i = futures.pop(future)
        if future.status == "error":
            err = future.exception()
            client.cancel(list(futures))
            raise run.failed(i, err) from err
        frame, seconds = future.result()
        run.keep(i, frame, seconds)
        retry = bool(deferred) and time.monotonic() - retried > 1.0
        if retry:
            retried = time.monotonic()
        fill(retry)
