"""Grids on Dask: a LocalCluster, an external cluster of separate processes, a worker
killed mid-grid, an interrupted run resumed: always the same numbers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import collapse_lib as cl
from collapse_lib.grid import GridCellError
from collapse_lib.store import Store
from collapse_lib.validation import ParameterError

pytest.importorskip("distributed")

BIN = Path(sys.executable).parent
#: A grid of 48 small tasks (one seed each), a few hundredths of a second to a tenth apiece.
KDE = dict(grid={"dataset": ["moons", "circles"], "n": [300]}, fixed={"n_test": 1000}, n_generations=40,
           seeds=8, seeds_per_task=1, progress=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.1)


@pytest.fixture(scope="module")
def cluster():
    """A real multi-process Dask cluster on 127.0.0.1: one scheduler, two single-threaded
    workers (each under a nanny that restarts it), started as separate processes."""
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)]
    try:
        procs.append(subprocess.Popen([str(BIN / "dask"), "worker", address, "--nworkers", "2", "--nthreads", "1",
                                       "--no-dashboard"], env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True))
        client = Client(address, timeout="30s")
        client.wait_for_workers(2, timeout=60)
        yield address, client
        client.close()
    finally:
        for proc in reversed(procs):  # every process started here, with its children
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=30)


@pytest.fixture(scope="module")
def reference():
    return cl.run_grid("kde", **KDE)


def test_chunking_and_a_local_cluster_give_the_same_frame(reference):
    whole = cl.run_grid("kde", **{**KDE, "seeds_per_task": 100})
    pd.testing.assert_frame_equal(whole, reference)
    two = cl.run_grid("kde", workers=2, **{**KDE, "seeds_per_task": 3})
    pd.testing.assert_frame_equal(two, reference)
    assert two.attrs["tasks"] == 2 * 3 * 3 and two.attrs["computed"] == 18


def test_an_external_cluster_gives_the_same_frame(cluster, reference, monkeypatch):
    address, client = cluster
    pd.testing.assert_frame_equal(cl.run_grid("kde", scheduler=address, **KDE), reference)
    pd.testing.assert_frame_equal(cl.run_grid("kde", scheduler=client, **KDE), reference)
    monkeypatch.setenv("COLLAPSE_SCHEDULER", address)
    pd.testing.assert_frame_equal(cl.run_grid("kde", **KDE), reference)


def test_a_worker_killed_mid_grid_changes_nothing(cluster, reference, tmp_path):
    address, client = cluster
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    store = tmp_path / "store"

    at_kill = []

    def kill_when_started() -> None:
        _wait_for(lambda: len(list(store.rglob("*.parquet"))) >= 4, 60, "no task finished")
        os.kill(victim, signal.SIGKILL)
        at_kill.append(len(list(store.rglob("*.parquet"))))

    killer = threading.Thread(target=kill_when_started, daemon=True)
    killer.start()
    frame = cl.run_grid("kde", scheduler=address, cache_dir=store, **KDE)
    killer.join(timeout=5)
    assert at_kill and at_kill[0] < 40, f"the worker died after {at_kill} of 48 tasks: not mid-grid"
    pd.testing.assert_frame_equal(frame, reference)
    with pytest.raises(ProcessLookupError):
        os.kill(victim, 0)  # it really died (its nanny starts a new worker)
    client.wait_for_workers(2, timeout=60)


def test_an_interrupted_run_computes_only_the_missing_tasks(cluster, reference, tmp_path):
    address, _ = cluster
    store = tmp_path / "store"
    script = ("import collapse_lib as cl, sys; "
              f"cl.run_grid('kde', scheduler={address!r}, cache_dir={str(store)!r}, **{KDE!r})")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: len(list(store.rglob("*.parquet"))) >= 6, 120, "the interrupted run stored nothing")
    finally:
        proc.kill()
        proc.wait(timeout=30)
    stored = sum(1 for _ in Store(store).entries())
    assert 6 <= stored < 48
    again = cl.run_grid("kde", scheduler=address, cache_dir=store, **KDE)
    assert again.attrs["computed"] == 48 - stored and again.attrs["tasks"] == 48
    pd.testing.assert_frame_equal(again, reference)
    assert cl.run_grid("kde", cache_dir=store, **KDE).attrs["computed"] == 0


def test_a_failing_task_names_its_cell_and_keeps_what_finished(cluster, tmp_path):
    address, _ = cluster
    grid = dict(grid={"sigma2": [1.0, 1e308]}, fixed={"d": 1, "n": 10}, n_generations=5, seeds=4,
                seeds_per_task=2, progress=False)
    store = tmp_path / "store"
    with pytest.raises(GridCellError, match=r"cell \(sigma2=1e\+308\) failed: ParameterError.*overflow") as err:
        cl.run_grid("gaussian", scheduler=address, cache_dir=store, **grid)
    assert err.value.cell["sigma2"] == 1e308 and len(err.value.seeds) == 2
    kept = [e.meta["request"]["params"]["sigma2"] for e in Store(store).entries()]
    assert all(v == 1.0 for v in kept)


def test_the_cluster_gives_the_local_frame_bit_for_bit(cluster):
    """The grid where a cluster differed from this process by 1.4e-14 (chunks of 2 seeds on the
    workers, one batch here): equal now, bit for bit."""
    address, _ = cluster
    grid = dict(grid={"dataset": ["moons", "circles"], "n": [32]}, fixed={"h": 0.1}, workflows="replace",
                n_generations=200, seeds=list(range(12, 18)), seeds_per_task=2, progress=False)
    pd.testing.assert_frame_equal(cl.run_grid("kde", scheduler=address, **grid), cl.run_grid("kde", **grid))


def test_gpu_tasks_ask_for_a_gpu_and_bad_schedulers_are_refused(cluster):
    from collapse_lib import grid as G

    address, client = cluster
    lm = cl.get_setting("lm")
    assert G.Job(lm, "replace", 2, (0,), {"device": "cuda"}, {}).resources() == {"GPU": 1}
    assert G.Job(lm, "replace", 2, (0,), {"device": "cpu"}, {}).resources() is None
    with pytest.raises(ParameterError, match="no worker of the cluster offers them.*--resources GPU=1"):
        G._check_resources(client, [{"GPU": 1}])
    with pytest.raises(ParameterError, match="parameter 'scheduler': no Dask scheduler answers"):
        cl.run_grid("kde", scheduler=f"tcp://127.0.0.1:{_free_port()}", **KDE)
    with pytest.raises(ParameterError, match="parameter 'scheduler' must be an address"):
        cl.run_grid("kde", scheduler=42, **KDE)
    with pytest.raises(ParameterError, match="must be the address of a Dask scheduler.*got 'not-an-address'"):
        cl.run_grid("kde", scheduler="not-an-address", **KDE)


def test_a_tls_cluster_as_running_md_starts_it(tmp_path):
    """The TLS set-up of chapter *How to run this book*: a scheduler bound to one interface with
    certificates, a worker, a client with distributed.security.Security, and a chapter-style
    run that reads the certificates from the environment (dask's configuration)."""
    from distributed import Client
    from distributed.security import Security

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=collapse-test"], check=True, capture_output=True)
    tls = ["--tls-ca-file", str(cert), "--tls-cert", str(cert), "--tls-key", str(key)]
    port = _free_port()
    address = f"tls://127.0.0.1:{port}"
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--protocol", "tls", "--no-dashboard", *tls], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)]
    try:
        procs.append(subprocess.Popen([str(BIN / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1",
                                       "--no-dashboard", *tls], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True))
        security = Security(tls_ca_file=str(cert), tls_client_cert=str(cert), tls_client_key=str(key),
                            require_encryption=True)
        small = {**KDE, "seeds": 2, "grid": {"dataset": ["moons"], "n": [100]}}
        with Client(address, security=security, timeout="30s") as client:
            client.wait_for_workers(1, timeout=60)
            pd.testing.assert_frame_equal(cl.run_grid("kde", scheduler=client, **small), cl.run_grid("kde", **small))
        env = {**os.environ, "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": str(cert),
               "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT": str(cert),
               "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY": str(key), "COLLAPSE_SCHEDULER": address}
        script = f"import collapse_lib as cl; print(cl.run_grid('kde', **{small!r}).attrs['tasks'])"
        proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0 and proc.stdout.strip() == "6", proc.stderr[-2000:]
        with pytest.raises(ParameterError, match="no Dask scheduler answers"):
            cl.run_grid("kde", scheduler=address.replace("tls://", "tcp://"), **small)  # no plain text accepted
    finally:
        for proc in reversed(procs):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=30)
