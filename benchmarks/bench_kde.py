"""Benchmark: the paper's full KDE grid with the fast path, and the speed-up over the
authors' way of running it (scikit-learn's KernelDensity fit / score_samples / sample each
generation, one seed at a time, refitting on every accumulated point).

    nice -n 5 .venv/bin/python benchmarks/bench_kde.py [--seeds 100] [--generations 100]
        [--naive-seeds 3] [--jobs 1] [--skip-full]

Full grid: 4 datasets x h in {0.1, 0.5, 1.0} x n in {10, 32, 100, 316, 1000} x 3 workflows
x seeds x generations, 500 test points. Sub-grid for the comparison: datasets moons and
swiss_roll, h in {0.1, 1.0}, n in {10, 100}, 3 workflows. Writes
benchmarks/results/kde.json and kde.md. Not a timed test: the numbers depend on what else
runs on the machine (both wall-clock and CPU seconds are reported).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import sklearn

import collapse_lib as cl
from collapse_lib.settings.kde import model as kde

HS = [0.1, 0.5, 1.0]
NS = [10, 32, 100, 316, 1000]
SUB_DATASETS = ["moons", "swiss_roll"]
SUB_HS = [0.1, 1.0]
SUB_NS = [10, 100]


def _cell(job: tuple[str, str, float, int, int, int]) -> tuple[str, float, float]:
    wf, ds, h, n, seeds, T = job
    w0, c0 = time.perf_counter(), time.process_time()
    cl.simulate("kde", wf, n_generations=T, seeds=seeds, dataset=ds, n=n, h=h)
    return f"{wf} {ds} h={h} n={n}", time.perf_counter() - w0, time.process_time() - c0


def full_grid(seeds: int, T: int, jobs: int) -> dict:
    cells = [(wf, ds, h, n, seeds, T) for ds in kde.DATASETS for h in HS for n in NS for wf in cl.WORKFLOWS]
    cells.sort(key=lambda c: -c[3])  # big cells first: better balance across processes
    kde.sample_dataset("moons", 1, np.random.default_rng(0))  # import scikit-learn outside the clock
    started = time.perf_counter()
    if jobs == 1:
        results = [_cell(c) for c in cells]
    else:
        with ProcessPoolExecutor(jobs) as pool:
            results = list(pool.map(_cell, cells))
    wall = time.perf_counter() - started
    cpu = sum(r[2] for r in results)
    times = {name: {"wall_s": w, "cpu_s": c} for name, w, c in results}
    print(f"full grid: {len(kde.DATASETS)} datasets x {len(HS)} h x {len(NS)} n x 3 workflows x {seeds} seeds "
          f"x {T} generations ({len(cells)} cells): {wall:.0f} s wall, {cpu:.0f} s CPU, {jobs} process(es)")
    return {"wall_seconds": wall, "cpu_seconds": cpu, "jobs": jobs, "cells": len(cells), "seeds": seeds,
            "generations": T, "cell_times": times}


def speedup(T: int, naive_seeds: int, batched_seeds: int) -> dict:
    rows = []
    for ds in SUB_DATASETS:
        for h in SUB_HS:
            for n in SUB_NS:
                for wf in cl.WORKFLOWS:
                    c0 = time.process_time()
                    for s in range(naive_seeds):
                        kde.sklearn_chain(wf, T, s, dataset=ds, n=n, h=h)
                    naive = (time.process_time() - c0) / naive_seeds
                    c0 = time.process_time()
                    cl.simulate("kde", wf, n_generations=T, seeds=naive_seeds, dataset=ds, n=n, h=h)
                    fast_few = (time.process_time() - c0) / naive_seeds
                    c0 = time.process_time()
                    cl.simulate("kde", wf, n_generations=T, seeds=batched_seeds, dataset=ds, n=n, h=h)
                    fast = (time.process_time() - c0) / batched_seeds
                    rows.append({"workflow": wf, "dataset": ds, "h": h, "n": n, "naive_s_per_chain": naive,
                                 "fast_s_per_chain": fast, "fast_unbatched_s_per_chain": fast_few})
                    print(f"  {wf:21s} {ds:10s} h={h:<4} n={n:<5} sklearn {naive:7.3f} s/chain, "
                          f"fast {fast:.4f} ({naive / fast:5.0f}x), "
                          f"fast with {naive_seeds} seeds {fast_few:.4f} ({naive / fast_few:4.0f}x)", flush=True)
    keys = ("naive_s_per_chain", "fast_s_per_chain", "fast_unbatched_s_per_chain")
    total = {k: sum(r[k] for r in rows) for k in keys}
    by_wf = {wf: sum(r["naive_s_per_chain"] for r in rows if r["workflow"] == wf)
             / sum(r["fast_s_per_chain"] for r in rows if r["workflow"] == wf) for wf in cl.WORKFLOWS}
    out = {
        "subgrid": {"datasets": SUB_DATASETS, "h": SUB_HS, "n": SUB_NS, "workflows": list(cl.WORKFLOWS),
                    "generations": T, "naive_seeds": naive_seeds, "batched_seeds": batched_seeds},
        "rows": rows,
        "speedup": total["naive_s_per_chain"] / total["fast_s_per_chain"],
        "speedup_unbatched": total["naive_s_per_chain"] / total["fast_unbatched_s_per_chain"],
        "speedup_by_workflow": by_wf,
    }
    print(f"sub-grid speed-up (CPU time per chain, all cells): {out['speedup']:.0f}x batched "
          f"({batched_seeds} seeds), {out['speedup_unbatched']:.0f}x with {naive_seeds} seeds; by workflow: "
          + ", ".join(f"{wf} {v:.0f}x" for wf, v in by_wf.items()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--generations", type=int, default=100)
    parser.add_argument("--naive-seeds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1, help="processes for the full grid (the machine has 2 cores)")
    parser.add_argument("--skip-full", action="store_true", help="only the sklearn comparison")
    args = parser.parse_args()
    result = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
                          "scikit-learn": sklearn.__version__,
                          "load_average_at_start": os.getloadavg()}}
    if not args.skip_full:
        result["full_grid"] = full_grid(args.seeds, args.generations, args.jobs)
    print("sub-grid, CPU seconds per chain:")
    result["comparison"] = speedup(args.generations, args.naive_seeds, args.seeds)
    result["machine"]["load_average_at_end"] = os.getloadavg()
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "kde.json").write_text(json.dumps(result, indent=2))
    lines = ["# KDE benchmark", "", f"Machine: {result['machine']}", ""]
    if "full_grid" in result:
        g = result["full_grid"]
        lines += [f"Full paper grid ({g['cells']} cells x {g['seeds']} seeds x {g['generations']} generations): "
                  f"{g['wall_seconds'] / 60:.1f} min wall, {g['cpu_seconds'] / 60:.1f} min CPU, "
                  f"{g['jobs']} process(es).", ""]
    c = result["comparison"]
    lines += [f"Speed-up over scikit-learn's KernelDensity loop on the sub-grid {c['subgrid']}: "
              f"{c['speedup']:.0f}x (batched), {c['speedup_unbatched']:.0f}x (same seeds); by workflow "
              + ", ".join(f"{wf} {v:.0f}x" for wf, v in c["speedup_by_workflow"].items()), ""]
    (out / "kde.md").write_text("\n".join(lines))
    print(f"written {out / 'kde.json'} and {out / 'kde.md'}")


if __name__ == "__main__":
    main()
