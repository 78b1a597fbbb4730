"""Benchmark: the paper's full Gaussian grid with the batched fast path, and the speed-up
over a naive per-seed loop that refits on all accumulated points (as the authors' scripts do).

    .venv/bin/python benchmarks/bench_gaussian.py [--seeds 100] [--naive-seeds 5]

Writes benchmarks/results/gaussian.json and prints a summary. Not a timed test: run it on a
quiet machine (the numbers depend on what else is running).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np

import collapse_lib as cl
from collapse_lib.settings.gaussian import GaussianTask, SingularCovarianceWarning
from collapse_lib.workflows import run_chain

DS = [1, 3, 10, 31, 100]
NS = [10, 32, 100, 316, 1000]
SUB_DS = [3, 31]
SUB_NS = [100, 1000]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--generations", type=int, default=100)
    parser.add_argument("--naive-seeds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes for the full grid with run_grid (also timed with 1)")
    args = parser.parse_args()
    warnings.simplefilter("ignore", SingularCovarianceWarning)
    T = args.generations

    cell_times: dict[str, float] = {}
    started = time.perf_counter()
    for d in DS:
        for n in NS:
            for wf in cl.WORKFLOWS:
                t0 = time.perf_counter()
                cl.simulate("gaussian", wf, n_generations=T, seeds=args.seeds, d=d, n=n)
                cell_times[f"{wf} d={d} n={n}"] = time.perf_counter() - t0
    full = time.perf_counter() - started
    print(f"full grid: {len(DS)} d x {len(NS)} n x 3 workflows x {args.seeds} seeds x {T} generations: "
          f"{full:.1f} s in one process")
    t0 = time.perf_counter()
    cl.run_grid("gaussian", grid={"d": DS, "n": NS}, n_generations=T, seeds=args.seeds, progress=False,
                workers=args.workers)
    full_parallel = time.perf_counter() - t0
    print(f"full grid with run_grid(workers={args.workers}): {full_parallel:.1f} s")

    naive_by_wf = dict.fromkeys(cl.WORKFLOWS, 0.0)
    for d in SUB_DS:
        for n in SUB_NS:
            for wf in cl.WORKFLOWS:
                task = GaussianTask(d)
                t0 = time.perf_counter()
                for s in range(args.naive_seeds):
                    run_chain(task, wf, n=n, n_generations=T, seed=s)
                naive_by_wf[wf] += time.perf_counter() - t0
    naive_sub = sum(naive_by_wf.values())
    fast_by_wf = {wf: sum(cell_times[f"{wf} d={d} n={n}"] for d in SUB_DS for n in SUB_NS) / args.seeds
                  for wf in cl.WORKFLOWS}
    by_workflow = {wf: (naive_by_wf[wf] / args.naive_seeds) / fast_by_wf[wf] for wf in cl.WORKFLOWS}
    fast_sub_full = sum(cell_times[f"{wf} d={d} n={n}"] for d in SUB_DS for n in SUB_NS for wf in cl.WORKFLOWS)
    per_seed_fast = fast_sub_full / args.seeds
    per_seed_naive = naive_sub / args.naive_seeds
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__},
        "full_grid_seconds": full,
        "full_grid_seconds_parallel": full_parallel,
        "workers": args.workers,
        "seeds": args.seeds,
        "generations": T,
        "slowest_cells": dict(sorted(cell_times.items(), key=lambda kv: -kv[1])[:5]),
        "subgrid": {"d": SUB_DS, "n": SUB_NS, "workflows": list(cl.WORKFLOWS)},
        "subgrid_naive_seconds_per_seed": per_seed_naive,
        "subgrid_fast_seconds_per_seed": per_seed_fast,
        "speedup": per_seed_naive / per_seed_fast,
        "speedup_by_workflow": by_workflow,
    }
    print(f"sub-grid d in {SUB_DS}, n in {SUB_NS}, 3 workflows, {T} generations, per seed:")
    print(f"  naive loop (refit on all points, one seed at a time): {per_seed_naive:.2f} s")
    print(f"  batched fast path ({args.seeds} seeds at once):          {per_seed_fast:.4f} s")
    print(f"  speed-up: {result['speedup']:.0f}x; by workflow: "
          + ", ".join(f"{wf} {r:.0f}x" for wf, r in by_workflow.items()))
    out = Path(__file__).parent / "results" / "gaussian.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
