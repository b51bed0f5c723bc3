"""Kill and repeat: SIGKILL at seeded random moments leaves the previous outputs intact."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Keys of summary.json that hold times (or whether the city came from the cache).
_TIME_KEYS = {"generated", "load_seconds", "seconds", "step_seconds", "from_cache"}


def _command(out: Path) -> list[str]:
    # the cheap command of a run: load the Helsinki sample, the layers and the fiber step
    code = "import sys; from planner.cli import main; sys.exit(main(sys.argv[1:]))"
    return [sys.executable, "-c", code, "fiber", "--out", str(out), "--city", "hel", "-q"]


def _env(cache: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "PLANNER_CACHE_DIR": str(cache)}


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` with the sha256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _untimed(obj):
    if isinstance(obj, dict):
        return {
            k: _untimed(v)
            for k, v in obj.items()
            if k not in _TIME_KEYS and not k.endswith(("_seconds", "_s"))
        }
    if isinstance(obj, list):
        return [_untimed(v) for v in obj]
    return obj


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith((".tmp-", ".old-")))


def test_kill_and_repeat(tmp_path):
    out, env = tmp_path / "out", _env(tmp_path / "cache")
    t0 = time.perf_counter()
    subprocess.run(_command(out), env=env, check=True, capture_output=True, timeout=300)
    full = time.perf_counter() - t0
    before = _snapshot(out / "hel")
    first = json.loads((out / "hel" / "summary.json").read_text(encoding="utf-8"))
    rng, kills = random.Random(16), 0
    for _ in range(3):
        proc = subprocess.Popen(
            _command(out), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.2, 0.7 * full))  # cached runs are faster than the first
        if proc.poll() is not None:  # finished before the moment: its folder is the new one
            assert proc.returncode == 0
            before = _snapshot(out / "hel")
            continue
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        kills += 1
        assert _snapshot(out / "hel") == before  # the previous folder, byte for byte
    assert kills >= 1
    subprocess.run(_command(out), env=env, check=True, capture_output=True, timeout=300)
    assert _leftovers(out) == []  # the next run cleans up what the kills left
    second = json.loads((out / "hel" / "summary.json").read_text(encoding="utf-8"))
    assert _untimed(second) == _untimed(first)
