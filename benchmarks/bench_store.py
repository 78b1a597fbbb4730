"""Benchmark: the result store on a store-heavy grid, the library before and after the
hardening of the store (content hash, unit locks, checked writes), side by side.

    .venv/bin/python benchmarks/bench_store.py [--before REV] [--repeats 5]

The library as it was at ``REV`` (default: the commit this branch started from, the merge base
with ``main``) is extracted with ``git archive`` into a temporary folder; each round runs the
same grid once with it and once with the library of this working tree, each in a fresh
process, alternating, so that both see the same machine. The grid is many small units (a
Gaussian grid of 30 cells x 3 workflows, 4 seeds of 5 generations, one seed per task: 360
tasks of about a millisecond), where the store's own work dominates:

1. ``write``: the grid on an empty store (compute, and write every task);
2. ``read``: the same grid again (every task read back and checked);
3. ``none``: the grid without a store (the computing alone).

Prints the median seconds of each, and the ratio after / before. Writes
benchmarks/results/store.json. Run it under the machine's CPU lock, on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = textwrap.dedent("""
    import json, sys, tempfile, time, warnings
    warnings.simplefilter("ignore")
    import collapse_lib as cl
    assert cl.__file__.startswith(sys.argv[1]), (cl.__file__, sys.argv[1])
    grid = dict(grid={"d": [1, 2, 3, 4, 5], "n": [10, 20, 30, 40, 50, 60]}, n_generations=5, seeds=4,
                seeds_per_task=1, progress=False)
    cl.run_grid("gaussian", **{**grid, "grid": {"d": [1], "n": [10]}})  # imports and first calls
    out = {}
    with tempfile.TemporaryDirectory() as store:
        started = time.perf_counter(); first = cl.run_grid("gaussian", cache_dir=store, **grid)
        out["write"] = time.perf_counter() - started
        started = time.perf_counter(); again = cl.run_grid("gaussian", cache_dir=store, **grid)
        out["read"] = time.perf_counter() - started
        assert first.attrs["tasks"] == 360 and len(again.attrs["cached"]) == 90
    started = time.perf_counter(); cl.run_grid("gaussian", **grid)
    out["none"] = time.perf_counter() - started
    print(json.dumps(out))
""")


def extract(rev: str, folder: Path) -> Path:
    """The library at ``rev`` (``collapse_lib/`` only) under ``folder``."""
    archive = folder / "old.tar"
    with open(archive, "wb") as fh:
        subprocess.run(["git", "archive", rev, "collapse_lib"], cwd=ROOT, stdout=fh, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "old", filter="data")
    return folder / "old"


def run(root: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(root), "OMP_WAIT_POLICY": "PASSIVE"}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(root)], env=env, capture_output=True, text=True,
                          cwd=tempfile.gettempdir(), check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default=None, help="git revision of the library before (default: merge base)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rev = args.before or subprocess.run(["git", "merge-base", "HEAD", "main"], cwd=ROOT, capture_output=True,
                                        text=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        old = extract(rev, Path(tmp))
        times: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        for i in range(args.repeats):
            for name, root in (("before", old), ("after", ROOT)) if i % 2 == 0 else (("after", ROOT), ("before", old)):
                times[name].append(run(root))
                print(f"round {i + 1} {name:6s} " + "  ".join(f"{k} {v:.2f} s" for k, v in times[name][-1].items()),
                      flush=True)
    result: dict[str, object] = {"before": rev, "repeats": args.repeats, "runs": times}
    print(f"store-heavy grid, 360 tasks of one seed (median of {args.repeats}; before = {rev[:10]}):")
    for phase in ("write", "read", "none"):
        before = statistics.median(t[phase] for t in times["before"])
        after = statistics.median(t[phase] for t in times["after"])
        result[phase] = {"before_s": before, "after_s": after, "ratio": after / before}
        print(f"  {phase:5s}  before {before:6.2f} s   after {after:6.2f} s   after / before {after / before:.2f}")
    out = Path(__file__).parent / "results" / "store.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"written {out}")


if __name__ == "__main__":
    main()
