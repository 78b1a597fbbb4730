"""The setting protocol (chapter *How to run this book*).

A *setting* (a task of the paper: Gaussian estimation, kernel density estimation, ...) is
one folder ``collapse_lib/settings/<name>/`` whose model module defines ``SETTING``, a
:class:`Setting`:

* ``name``, ``params`` (each a :class:`Param`: a checker from :mod:`collapse_lib.validation`
  and a default) and ``metrics`` (the columns it records per seed and generation);
* ``task(params) -> Task``: a fresh task for one chain, the point-by-point reference that
  :func:`~collapse_lib.workflows.run_chain` runs (always present);
* optionally ``fast(workflow, n_generations, seeds, params) -> {metric: (S, T) array}``,
  a batched fast path, with ``fast_exact`` saying whether it draws the same random numbers
  as the reference loop (then the two agree to rounding; otherwise in distribution), and
  ``fast_options`` naming the workflow options beyond the paper it supports.

:func:`~collapse_lib.simulate.simulate` owns the dispatch between the two. Adding a setting
is its folder plus one line in :data:`collapse_lib.registry.SETTINGS`; every other part of the
library reaches settings only through the registry (:func:`collapse_lib.registry.get_setting`),
and the machinery passes the :class:`Setting` object along instead of its name.

:func:`collapse_lib.registry.fingerprint` hashes the source of everything that can change a setting's numbers
(its module, the modules it imports from this package, the simulation machinery) and the
versions of the packages whose random streams it uses: the result store keys on it, so a
change to a setting makes its stored results stale, and a change to plotting or a chapter
does not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Param", "Setting", "FastPath", "task_threads", "limit_threads"]


@dataclass(frozen=True)
class Param:
    """One parameter of a setting: its checker (``check(name, value) -> value``) and default."""

    check: Callable[[str, Any], Any]
    default: Any = None
    doc: str = ""
    required: bool = False


#: ``fast(workflow, n_generations, seeds, params)`` -> metric arrays of shape (S, T).
FastPath = Callable[[str, int, list[int], dict[str, Any]], Mapping[str, np.ndarray]]


@dataclass(frozen=True)
class Setting:
    """A task-setting: what :func:`~collapse_lib.simulate.simulate` needs to run it.

    ``validate(values)`` checks combinations of parameters (after each one's own check);
    ``validate_run(workflow, n_generations, values)`` what depends on the run as well.
    ``finish(arrays, params, n_generations)`` adjusts the metric arrays of either path
    (flags such as ``singular``, metrics undefined at some generations). ``may_be_nan``:
    metrics that are legitimately missing somewhere (everything else must be finite).
    ``columns``: extra per-row columns the setting returns besides its metrics.
    ``memory(workflow, n_generations, n_seeds, params)``: bytes the run needs beyond its
    output, so that an impossible run fails at once. ``dependencies``: packages whose
    versions can change the numbers (numpy is always one). ``mixing_task(params)``: the task
    of the one-generation experiment of chapter *The value of synthetic data*, when the
    setting takes part in it. ``resources(params)``: what one task of a run with these
    parameters asks a Dask scheduler for (``{"GPU": 1}`` for a language model on CUDA), or
    None; workers must offer it (``dask worker ... --resources GPU=1``).

    The time a run takes is estimated from the module ``cost`` of the setting's folder
    (reached with ``collapse_lib.registry.part(name, "cost")``, kept outside the model so that
    recalibrating it stales no stored result): ``seconds(workflow, n_generations, n_seeds,
    params)``, measured on the machine the book is built on.
    """

    name: str
    params: Mapping[str, Param]
    metrics: tuple[str, ...]
    task: Callable[[dict[str, Any]], Any]
    fast: FastPath | None = None
    fast_exact: bool = True
    fast_options: frozenset[str] = frozenset()
    validate: Callable[[dict[str, Any]], None] | None = None
    validate_run: Callable[[str, int, dict[str, Any]], None] | None = None
    finish: Callable[[dict[str, np.ndarray], dict[str, Any], int], dict[str, np.ndarray]] | None = None
    may_be_nan: frozenset[str] = frozenset()
    columns: tuple[str, ...] = ()
    memory: Callable[[str, int, int, dict[str, Any]], float] | None = None
    dependencies: tuple[str, ...] = ()
    mixing_task: Callable[[dict[str, Any]], Any] | None = None
    resources: Callable[[dict[str, Any]], Mapping[str, float] | None] | None = None
    doc: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def task_resources(self, params: Mapping[str, Any]) -> dict[str, float] | None:
        """What one task of a run with ``params`` asks a Dask scheduler for (None: nothing)."""
        if self.resources is None:
            return None
        wanted = self.resources(dict(params))
        return dict(wanted) if wanted else None

    def uses_fast_path(self, options: Mapping[str, Any]) -> bool:
        """Whether a run with these workflow ``options`` goes through the fast path."""
        if self.fast is None:
            return False
        active = {k for k, v in options.items() if v}
        return active <= self.fast_options


# --- threads within one task ---------------------------------------------------------------

_THREADS: list[int] = []


def task_threads() -> int:
    """Threads a setting may use for independent seeds within one task: at most 4 and at
    most the machine's cores, and 1 on a worker of a cluster (see :func:`limit_threads`)."""
    import os

    if _THREADS:
        return _THREADS[-1]
    return max(1, min(4, os.cpu_count() or 1))


class limit_threads:
    """Within the block, :func:`task_threads` is ``n`` (a cluster's worker runs one task on
    one core: more threads would only compete with the other workers)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __enter__(self) -> None:
        _THREADS.append(self.n)

    def __exit__(self, *exc: object) -> None:
        _THREADS.pop()


