"""Benchmark: KDE grids on Dask, 1 against 2 local workers, the cost of a task, and a
projection of the paper's scale onto bigger clusters.

    .venv/bin/python benchmarks/bench_dask.py [--seeds 50]

1. A KDE sub-grid (circles, moons x h in {0.1, 1} x n in {100, 316} x 3 workflows x
   ``--seeds`` seeds x 100 generations, 25 seeds per task) on a LocalCluster of 1 and of 2
   single-threaded workers, side by side: wall time and scaling efficiency.
2. The scheduling overhead: an empty task's round trip, one at a time and in bulk, against
   the smallest real task of the sub-grid.
3. A projection of the full KDE paper grid (4 data sets x h in {0.1, 0.5, 1} x n in
   {10, ..., 1000} x 3 workflows x 100 seeds x 100 generations) plus the bandwidth sweep
   at T = 1000 (9 bandwidths and 'scott' / 'silverman', n = 100, 40 scored generations),
   from each unit's measured time per seed (one seed timed alone: an upper bound, since a
   task batches its seeds), onto 8, 32 and 128 workers: the longest-task-first schedule's
   wall time, and what bounds it (the total work over the workers, or the longest task).

Writes benchmarks/results/dask.json. Not a timed test: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from distributed import Client, LocalCluster

import collapse_lib as cl
from collapse_lib.store import Store

SUB = dict(grid={"dataset": ["circles", "moons"], "h": [0.1, 1.0], "n": [100, 316]}, n_generations=100,
           seeds_per_task=25, progress=False)
PAPER_GRID = [dict(dataset=ds, h=h, n=n) for ds in ("blobs", "circles", "moons", "swiss_roll")
              for h in (0.1, 0.5, 1.0) for n in (10, 32, 100, 316, 1000)]
SWEEP_HS = [float(f"{h:.3g}") for h in np.geomspace(0.01, 100.0, 9)] + ["scott", "silverman"]
SWEEP = [dict(dataset=ds, h=h, n=100, eval_points=40) for ds in ("blobs", "circles", "moons", "swiss_roll")
         for h in SWEEP_HS]


def _noop() -> None:
    return None


def timed_grid(workers: int, seeds: int) -> tuple[float, list[float]]:
    """Wall seconds of the sub-grid on a LocalCluster of ``workers``, and each task's seconds."""

    with tempfile.TemporaryDirectory() as folder:
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as lc, \
                Client(lc) as client:
            client.submit(_noop).result()  # workers up and warm
            started = time.perf_counter()
            cl.run_grid("kde", scheduler=client, cache_dir=folder, seeds=seeds, **SUB)
            wall = time.perf_counter() - started
        per_task = [e.meta["seconds"] for e in Store(folder).entries()]
    return wall, per_task


def round_trips() -> dict[str, float]:

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc, \
            Client(lc) as client:
        client.submit(_noop, pure=False).result()
        started = time.perf_counter()
        for _ in range(50):
            client.submit(_noop, pure=False).result()
        one = (time.perf_counter() - started) / 50
        started = time.perf_counter()
        client.gather(client.map(lambda i: None, range(500), pure=False))
        bulk = (time.perf_counter() - started) / 500
    return {"one_at_a_time_s": one, "in_bulk_s": bulk}


def per_seed_seconds(units: list[dict], T: int) -> list[float]:
    """Seconds of one seed of every (unit, workflow), timed alone in this process."""
    out = []
    for params in units:
        for wf in cl.WORKFLOWS:
            started = time.perf_counter()
            cl.simulate("kde", wf, n_generations=T, seeds=[0], **params)
            out.append(time.perf_counter() - started)
    return out


def schedule(tasks: list[float], workers: int) -> float:
    """Makespan of the longest-task-first schedule of ``tasks`` (seconds) on ``workers``."""
    loads = np.zeros(workers)
    for t in sorted(tasks, reverse=True):
        loads[np.argmin(loads)] += t
    return float(loads.max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--paper-seeds", type=int, default=100)
    parser.add_argument("--seeds-per-task", type=int, default=25)
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    one, tasks1 = timed_grid(1, args.seeds)
    two, _ = timed_grid(2, args.seeds)
    efficiency = one / (2 * two)
    print(f"KDE sub-grid ({len(tasks1)} tasks of up to 25 seeds, {args.seeds} seeds, 100 generations):")
    print(f"  1 worker {one:6.1f} s   2 workers {two:6.1f} s   speed-up {one / two:.2f}x   "
          f"efficiency {100 * efficiency:.0f}%")
    rtt = round_trips()
    smallest = min(tasks1)
    print(f"  an empty task: {1e3 * rtt['one_at_a_time_s']:.1f} ms one at a time, "
          f"{1e3 * rtt['in_bulk_s']:.2f} ms each in bulk; the smallest real task {1e3 * smallest:.0f} ms, "
          f"the median {1e3 * float(np.median(tasks1)):.0f} ms")

    grid_seed = per_seed_seconds(PAPER_GRID, 100)
    sweep_seed = per_seed_seconds(SWEEP, 1000)
    per_seed = grid_seed + sweep_seed
    chunks = -(-args.paper_seeds // args.seeds_per_task)
    tasks = [s * min(args.seeds_per_task, args.paper_seeds) for s in per_seed for _ in range(chunks)]
    whole = [s * args.paper_seeds for s in per_seed]
    total = sum(tasks)
    print(f"projection: KDE paper grid ({len(grid_seed)} units, T = 100) + bandwidth sweep ({len(sweep_seed)} units, "
          f"T = 1000), {args.paper_seeds} seeds: {total / 60:.0f} min of work in one process "
          f"({sum(grid_seed) * args.paper_seeds / 60:.0f} + {sum(sweep_seed) * args.paper_seeds / 60:.0f} min), "
          f"{len(tasks)} tasks of {args.seeds_per_task} seeds")
    rows = []
    for w in (8, 32, 128):
        span = schedule(tasks, w) + rtt["in_bulk_s"] * len(tasks) / w
        span_whole = schedule(whole, w)
        bound = "the work over the workers" if total / w >= max(tasks) else "the longest task"
        rows.append({"workers": w, "wall_s": span, "wall_whole_cells_s": span_whole,
                     "work_over_workers_s": total / w, "longest_task_s": max(tasks), "bound": bound})
        print(f"  {w:4d} workers: {span / 60:6.1f} min (work / workers {total / w / 60:.1f} min, longest task "
              f"{max(tasks) / 60:.1f} min: bounded by {bound}); one task per whole cell instead: "
              f"{span_whole / 60:.1f} min")
    result = {"subgrid": {"seeds": args.seeds, "one_worker_s": one, "two_workers_s": two,
                          "efficiency": efficiency, "task_seconds": sorted(tasks1)},
              "round_trip": rtt, "per_seed_seconds": {"grid": grid_seed, "sweep": sweep_seed},
              "projection": rows}
    out = Path(__file__).parent / "results" / "dask.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"written {out}")


if __name__ == "__main__":
    main()
