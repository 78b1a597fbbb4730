"""Calibration of the time estimates: each setting's cost table (``settings/<name>/cost.py``)
against measured runs.

    .venv/bin/python benchmarks/bench_cost.py [--settings gaussian kde ...] [--lm]

For each setting, a few runs across its sizes (one process, the fast path, the best of two)
are timed and set beside the estimate of ``collapse_lib.simulate.time_estimate``; the ratio
estimate / measured is printed (the tables aim at 0.5 to 2). ``--lm`` adds a language-model
run of 3 generations (about a minute, the base pre-trained and cached first). Recalibrate a
table by editing its constants from these numbers. Writes benchmarks/results/cost.json. Run it
under the machine's CPU lock.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import collapse_lib as cl
from collapse_lib.registry import check_params
from collapse_lib.simulate import time_estimate

CASES = {
    "gaussian": [(wf, 100, 50, dict(d=d, n=n)) for wf in cl.WORKFLOWS for d, n in ((1, 10), (10, 100), (100, 1000))],
    "kde": [(wf, 50, 10, dict(n=n, n_test=500, h=0.1)) for wf in cl.WORKFLOWS for n in (10, 100, 1000)]
    + [("accumulate", 50, 10, dict(n=100, h="scott")), ("replace", 200, 5, dict(n=100, eval_points=20))],
    "linear_regression": [(wf, 100, 20, dict(d=d, n=n)) for wf in cl.WORKFLOWS for d, n in ((1, 10), (100, 1000))],
    "discrete": [(wf, 200, 20, dict(k=k, n=n)) for wf in cl.WORKFLOWS for k, n in ((10, 100), (1000, 100))],
}


def measure(setting: str, workflow: str, T: int, seeds: int, params: dict) -> tuple[float, float | None]:
    cl.simulate(setting, workflow, n_generations=2, seeds=1, **params)  # imports and caches
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        cl.simulate(setting, workflow, n_generations=T, seeds=seeds, **params)
        best = min(best, time.perf_counter() - started)
    spec = cl.get_setting(setting)
    return best, time_estimate(spec, workflow, T, seeds, check_params(spec, params))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settings", nargs="*", default=list(CASES))
    parser.add_argument("--lm", action="store_true", help="also time a language-model run (about a minute)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    cases = [(s, *c) for s in args.settings for c in CASES[s]]
    if args.lm:
        cases.append(("lm", "accumulate", 3, 1, dict(n=320, n_test=300, epochs=2.0, device="cpu")))
    rows = []
    for setting, workflow, T, seeds, params in cases:
        took, guess = measure(setting, workflow, T, seeds, params)
        ratio = guess / took if guess else float("nan")
        rows.append({"setting": setting, "workflow": workflow, "n_generations": T, "seeds": seeds,
                     "params": params, "seconds": took, "estimate": guess, "ratio": ratio})
        print(f"{setting:18s} {workflow:21s} T={T:4d} seeds={seeds:3d} {params}: measured {took:7.3f} s, "
              f"estimated {guess or float('nan'):7.3f} s, ratio {ratio:.2f}", flush=True)
    ratios = [r["ratio"] for r in rows if r["estimate"]]
    print(f"estimate / measured: from {min(ratios):.2f} to {max(ratios):.2f} over {len(ratios)} runs")
    out = Path(__file__).parent / "results" / "cost.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))
    print(f"written {out}")


if __name__ == "__main__":
    main()
