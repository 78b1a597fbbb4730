"""The same Gaussian and KDE workloads through this tree and another checkout, side by side.

    git worktree add /tmp/base <commit>
    .venv/bin/python benchmarks/bench_against.py --base /tmp/base [--repeats 2]

Each workload runs in a fresh process with one or the other source tree first on the path,
alternating (base, this, base, this, ...), and the fastest of the repeats is reported, so
that both see the same machine. Both trees must provide ``collapse_lib.run_grid`` with the
arguments used below. Not a timed test: run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

WORKLOADS = {
    "gaussian: the full paper grid, 5 d x 5 n x 3 workflows x 100 seeds x 100 generations":
        dict(setting="gaussian", grid={"d": [1, 3, 10, 31, 100], "n": [10, 32, 100, 316, 1000]}, seeds=100,
             n_generations=100),
    "gaussian: d in {1,3,10,31,100} x n in {10..1000} x 3 workflows x 20 seeds x 100 generations":
        dict(setting="gaussian", grid={"d": [1, 3, 10, 31, 100], "n": [10, 32, 100, 316, 1000]}, seeds=20,
             n_generations=100),
    "gaussian: d in {10,31} x n in {100,316} x 3 workflows x 20 seeds x 100 generations":
        dict(setting="gaussian", grid={"d": [10, 31], "n": [100, 316]}, seeds=20, n_generations=100),
    "kde: circles, moons x h in {0.1,1} x n in {10,100,1000} x 3 workflows x 10 seeds x 100 generations":
        dict(setting="kde", grid={"dataset": ["circles", "moons"], "h": [0.1, 1.0], "n": [10, 100, 1000]},
             seeds=10, n_generations=100),
}

CHILD = """
import json, sys, time, warnings
warnings.simplefilter("ignore")
import collapse_lib as cl
w = json.loads(sys.argv[1])
started = time.perf_counter()
cl.run_grid(w["setting"], grid=w["grid"], n_generations=w["n_generations"], seeds=w["seeds"], progress=False)
print(json.dumps({"seconds": time.perf_counter() - started, "file": cl.__file__}))
"""


def run(tree: Path, workload: dict) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(workload)], env=env, check=True,
                         capture_output=True, text=True, cwd=tree)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert Path(result["file"]).resolve().is_relative_to(tree.resolve()), result["file"]
    return float(result["seconds"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="a checkout of the commit to compare with")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--only", default="", help="run the workloads whose label contains this text")
    args = parser.parse_args()
    base = Path(args.base).resolve()
    rows = []
    for label, workload in WORKLOADS.items():
        if args.only not in label:
            continue
        times: dict[str, list[float]] = {"base": [], "this": []}
        for _ in range(args.repeats):
            times["base"].append(run(base, workload))
            times["this"].append(run(HERE, workload))
        b, t = min(times["base"]), min(times["this"])
        rows.append({"workload": label, "base_s": b, "this_s": t, "ratio": t / b, "all": times})
        print(f"{label}\n    base {b:7.2f} s   this {t:7.2f} s   this/base {t / b:5.2f}", flush=True)
    out = HERE / "benchmarks" / "results" / "against.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"base": str(base), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
