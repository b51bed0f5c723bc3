"""Fixtures of the batch tests: a real Dask cluster on 127.0.0.1 and one region run on it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import shared_file

#: The cheap steps the CI region run executes (the benchmark runs every step).
TEST_STEPS = ["fiber", "plan"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dask_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "dask"
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "dask"]


def _start(args: list[str], log: Path) -> subprocess.Popen:
    fh = log.open("wb")
    return subprocess.Popen(
        args, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True, env=os.environ.copy()
    )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory):
    """``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1 (torn down after)."""
    pytest.importorskip("distributed")
    from distributed import Client

    logs = tmp_path_factory.mktemp("dask-logs")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = _dask_cmd()
    procs = [
        _start(
            [
                *dask,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--dashboard-address",
                f"127.0.0.1:{_free_port()}",
            ],
            logs / "scheduler.log",
        )
    ]
    for i in range(2):
        procs.append(
            _start(
                [
                    *dask,
                    "worker",
                    address,
                    "--host",
                    "127.0.0.1",
                    "--nthreads",
                    "1",
                    "--nworkers",
                    "1",
                    "--memory-limit",
                    "3GB",
                    "--resources",
                    "MEMORY=3e9",
                    "--no-dashboard",
                    "--name",
                    f"w{i}",
                ],
                logs / f"worker{i}.log",
            )
        )
    try:
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for p in reversed(procs):
            _stop(p)


def _no_streets_pbf(src: Path, folder: Path) -> Path:
    """A real corner of Vaduz with its highways removed by ``osmium tags-filter -i``."""
    small, out = folder / "vaduz-corner.osm.pbf", folder / "nostreets.osm.pbf"
    subprocess.run(
        [
            "osmium",
            "extract",
            "-b",
            "9.515,47.135,9.525,47.145",
            str(src),
            "-o",
            str(small),
            "--overwrite",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            "osmium",
            "tags-filter",
            "-R",
            "-i",
            str(small),
            "w/highway",
            "-o",
            str(out),
            "--overwrite",
        ],
        check=True,
        capture_output=True,
    )
    return out


def _kill_a_busy_worker(address: str, state_dir: Path, found: dict, stop: threading.Event):
    """Wait until a worker has started a city, then SIGKILL that worker process."""
    from distributed import Client

    with Client(address, timeout="30s") as client:
        while not stop.is_set():
            try:
                pids = {pid: a for a, pid in client.run(os.getpid).items()}
            except Exception:  # a worker is (re)starting
                time.sleep(0.2)
                continue
            for f in sorted(state_dir.glob("*.attempts")) if state_dir.is_dir() else []:
                if f.stem == "nostreets":  # fails in a moment: kill a real city
                    continue
                lines = f.read_text().split()
                started = [int(x) for x in lines[1::2] if int(x) in pids]
                if started:
                    time.sleep(1.0)  # the city is now mid-run
                    os.kill(started[-1], signal.SIGKILL)
                    found.update(pid=started[-1], city=f.stem, worker=pids[started[-1]])
                    return
            time.sleep(0.1)


@pytest.fixture(scope="session")
def region_batch(tmp_path_factory):
    """A batch.yml: Liechtenstein's admin_level 8 boundaries plus a city with no streets."""
    src = shared_file("liechtenstein")
    if not _has_osmium_tool():
        pytest.skip("osmium-tool is not installed")
    folder = tmp_path_factory.mktemp("region")
    nostreets = _no_streets_pbf(src, folder)
    batch = folder / "batch.yml"
    batch.write_text(
        f"defaults:\n  fiber:\n    target_coverage_pct: 80\n"
        f"region:\n  pbf: {src}\n  admin_level: 8\n"
        f"cities:\n  nostreets:\n    source:\n      pbf: {nostreets.name}\n",
        encoding="utf-8",
    )
    return batch


def _has_osmium_tool() -> bool:
    import shutil

    return shutil.which("osmium") is not None


@pytest.fixture(scope="session")
def region_run(region_batch, dask_cluster, tmp_path_factory):
    """Run the region batch on the real cluster, killing one worker mid-batch."""
    from planner.batch import run_batch

    out = tmp_path_factory.mktemp("region-out")
    found: dict = {}
    stop = threading.Event()
    killer = threading.Thread(
        target=_kill_a_busy_worker, args=(dask_cluster, out / "_batch" / "state", found, stop)
    )
    killer.start()
    t0 = time.perf_counter()
    try:
        result = run_batch(
            batch_file=region_batch,
            out_root=out,
            scheduler=dask_cluster,
            steps=TEST_STEPS,
            progress=False,
        )
    finally:
        stop.set()
        killer.join(timeout=30)
    return {"result": result, "out": out, "killed": found, "seconds": time.perf_counter() - t0}
