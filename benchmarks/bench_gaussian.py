"""Benchmark: the paper's full Gaussian grid with the batched fast path, and the speed-up
over a naive per-seed loop that refits on all accumulated points (as the authors' scripts do).

    .venv/bin/python benchmarks/bench_gaussian.py [--seeds 100] [--sub-seeds 20] [--naive-seeds 20]

Prints, in one run: the full paper grid (5 d x 5 n x 3 workflows x 100 seeds x 100
generations) in one process and on two workers, per workflow; the sub-grid d in {10, 31}
x n in {100, 316} (20 seeds) naive loop against the library, per workflow and overall;
and where the time of the full grid goes (a cProfile summary, and the normal variates
drawn against what this CPU draws per second). Writes benchmarks/results/gaussian.json.
Not a timed test: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import time
import warnings
from pathlib import Path

import numpy as np

import collapse_lib as cl
from collapse_lib.setting import task_threads
from collapse_lib.settings.gaussian import GaussianTask, SingularCovarianceWarning
from collapse_lib.workflows import run_chain

DS = [1, 3, 10, 31, 100]
NS = [10, 32, 100, 316, 1000]
SUB_DS = [10, 31]
SUB_NS = [100, 316]


def full_grid(seeds: int, T: int) -> dict[str, float]:
    """Seconds per workflow for the whole grid, one process."""
    per_wf = dict.fromkeys(cl.WORKFLOWS, 0.0)
    for d in DS:
        for n in NS:
            for wf in cl.WORKFLOWS:
                t0 = time.perf_counter()
                cl.simulate("gaussian", wf, n_generations=T, seeds=seeds, d=d, n=n)
                per_wf[wf] += time.perf_counter() - t0
    return per_wf


def normals_drawn(seeds: int, T: int) -> float:
    """Normal variates the Accumulate-Subsample fast path draws over the grid (expected)."""
    total = 0.0
    for d in DS:
        for n in NS:
            k = min(d, n - 1)
            kept = sum(1 - b / T for b in range(1, T))  # block b is drawn with probability 1 - b / T
            total += seeds * kept * n * k
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--generations", type=int, default=100)
    parser.add_argument("--sub-seeds", type=int, default=20)
    parser.add_argument("--naive-seeds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore", SingularCovarianceWarning)
    T = args.generations

    per_wf = full_grid(args.seeds, T)
    full = sum(per_wf.values())
    t0 = time.perf_counter()
    cl.run_grid("gaussian", grid={"d": DS, "n": NS}, n_generations=T, seeds=args.seeds, progress=False,
                workers=args.workers)
    parallel = time.perf_counter() - t0
    print(f"full paper grid ({len(DS)} d x {len(NS)} n x 3 workflows x {args.seeds} seeds x {T} generations)")
    print(f"  one process: {full:6.1f} s  (" + ", ".join(f"{wf} {s:.1f} s" for wf, s in per_wf.items()) + ")")
    print(f"  run_grid(workers={args.workers}): {parallel:6.1f} s")

    naive = dict.fromkeys(cl.WORKFLOWS, 0.0)
    fast = dict.fromkeys(cl.WORKFLOWS, 0.0)
    for d in SUB_DS:
        for n in SUB_NS:
            for wf in cl.WORKFLOWS:
                task = GaussianTask(d)
                t0 = time.perf_counter()
                for s in range(args.naive_seeds):
                    run_chain(task, wf, n=n, n_generations=T, seed=s)
                naive[wf] += (time.perf_counter() - t0) / args.naive_seeds * args.sub_seeds
                t0 = time.perf_counter()
                cl.simulate("gaussian", wf, n_generations=T, seeds=args.sub_seeds, d=d, n=n)
                fast[wf] += time.perf_counter() - t0
    ratio = {wf: naive[wf] / fast[wf] for wf in cl.WORKFLOWS}
    overall = sum(naive.values()) / sum(fast.values())
    print(f"sub-grid d in {SUB_DS} x n in {SUB_NS} x 3 workflows x {args.sub_seeds} seeds x {T} generations "
          f"(naive loop timed on {args.naive_seeds} seeds, scaled)")
    for wf in cl.WORKFLOWS:
        print(f"  {wf:21s} naive {naive[wf]:7.2f} s   library {fast[wf]:6.3f} s   {ratio[wf]:6.0f}x")
    print(f"  {'overall':21s} naive {sum(naive.values()):7.2f} s   library {sum(fast.values()):6.3f} s   "
          f"{overall:6.0f}x")


    rng = np.random.default_rng(0)
    rate = 0.0
    for _ in range(3):
        t0 = time.perf_counter()
        rng.standard_normal(20_000_000, dtype=np.float32)
        rate = max(rate, 20e6 / (time.perf_counter() - t0))
    drawn = normals_drawn(args.seeds, T)
    threads = task_threads()
    print(f"normal variates: the Accumulate-Subsample cells draw about {drawn / 1e9:.2f} billion; one core "
          f"draws {rate / 1e6:.0f} million per second (float32), so drawing them alone takes "
          f"{drawn / rate / threads:.1f} s on the {threads} threads the fast path uses, of the "
          f"{per_wf['accumulate-subsample']:.1f} s Accumulate-Subsample takes")
    profile_text = ""
    if not args.no_profile:
        prof = cProfile.Profile()
        prof.enable()
        full_grid(args.seeds, T)
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(12)
        profile_text = buf.getvalue()
        lines = [ln for ln in profile_text.splitlines() if ln.strip()]
        start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
        print("where the full grid's time goes (cProfile, by own time; the profiler adds overhead):")
        print("\n".join("  " + ln for ln in lines[start:start + 13]))
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__},
        "full_grid_seconds": full, "full_grid_seconds_by_workflow": per_wf,
        "full_grid_seconds_parallel": parallel, "workers": args.workers, "seeds": args.seeds, "generations": T,
        "subgrid": {"d": SUB_DS, "n": SUB_NS, "seeds": args.sub_seeds, "naive_seeds": args.naive_seeds},
        "subgrid_naive_seconds": naive, "subgrid_library_seconds": fast, "speedup_by_workflow": ratio,
        "speedup": overall, "normals_drawn": drawn, "normals_per_second": rate, "profile": profile_text,
    }
    out = Path(__file__).parent / "results" / "gaussian.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
