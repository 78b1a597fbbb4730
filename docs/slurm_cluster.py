"""Start a Dask cluster on SLURM and run one chapter of the book on it.

    pip install "dask-jobqueue==0.9.0"          # the optional extra: pip install -e ".[cluster]"
    python docs/slurm_cluster.py --jobs 8 --chapter kde --params params/paper.yml

Each SLURM job is one Dask worker process with one thread (the book's tasks are
single-threaded and each seed owns its random streams, so the numbers are those of a run
on one laptop). The chapter runs on this machine (the login node, or a small job); its
grids go to the cluster through ``COLLAPSE_SCHEDULER``, and this process writes every
finished task to the result store (``_cache/`` or ``$COLLAPSE_STORE``) as it arrives, so an
interrupted run resumes where it stopped. Adapt the ``SLURMCluster`` arguments (queue,
account, memory, walltime) to your site. Any other Dask deployment works the same way:
start it, then pass its scheduler address (``make chapter ... SCHEDULER=tcp://host:8786``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=8, help="SLURM jobs, one single-threaded worker each")
    parser.add_argument("--chapter", default="kde", help="chapter name (book/<chapter>.py)")
    parser.add_argument("--params", default="params/paper.yml", help="parameter file keyed by chapter")
    parser.add_argument("--queue", default=None, help="SLURM partition")
    parser.add_argument("--account", default=None, help="SLURM account")
    parser.add_argument("--memory", default="4GB", help="memory per worker")
    parser.add_argument("--walltime", default="02:00:00")
    args = parser.parse_args()

    from dask_jobqueue import SLURMCluster  # noqa: PLC0415  (optional: dask-jobqueue lives on the cluster; --help runs without it)
    from distributed import Client  # noqa: PLC0415  (optional: dask-jobqueue lives on the cluster; --help runs without it)

    cluster = SLURMCluster(cores=1, processes=1, memory=args.memory, walltime=args.walltime,
                           queue=args.queue, account=args.account,
                           worker_extra_args=["--nthreads", "1"])
    cluster.scale(jobs=args.jobs)
    client = Client(cluster)
    print(f"scheduler {cluster.scheduler_address}; dashboard {client.dashboard_link}", flush=True)
    client.wait_for_workers(1)
    env = {**os.environ, "COLLAPSE_SCHEDULER": cluster.scheduler_address}
    command = [sys.executable, "-m", "collapse_lib.notebooks", f"book/{args.chapter}.py",
               "-o", f"book/{args.chapter}.ipynb", "-f", args.params]
    try:
        return subprocess.call(command, env=env)
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    sys.exit(main())
