"""main.py's own launch: how many processes, one line for a started process's user error, and no
started process outliving an interrupted or killed launcher."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from strg.config import Distribution
from strg.engine import launched
from strg.engine.launch import LaunchError, count_processes, processes_to_start
from tests.conftest import REPO_ROOT, run_command
from tests.engine.conftest import tiny_run

LAUNCHER_VARIABLES = ("RANK", "OMPI_COMM_WORLD_RANK", "LOCAL_WORLD_SIZE",
                      "OMPI_COMM_WORLD_LOCAL_SIZE")  # fmt: skip


@pytest.fixture
def no_launcher(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in LAUNCHER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_processes_follow_the_visible_gpus_and_the_flag(no_launcher: pytest.MonkeyPatch) -> None:
    assert [count_processes(0, 0), count_processes(0, 4), count_processes(2, 0),
            count_processes(1, 4)] == [1, 4, 2, 1]  # fmt: skip
    no_launcher.setattr(torch.cuda, "device_count", lambda: 4)  # what CUDA_VISIBLE_DEVICES leaves

    def start(nproc_per_node: int = 0, no_cuda: bool = False, nodes: int = -1) -> int:
        distribution = Distribution(nproc_per_node=nproc_per_node, world_size=nodes)
        return processes_to_start(distribution, no_cuda)

    assert [start(), start(no_cuda=True), start(1), start(3, nodes=1)] == [4, 1, 1, 3]
    with pytest.raises(LaunchError, match=r"--world_size 2.*torchrun --nnodes 2"):
        start(nodes=2)
    # under torchrun this process is one rank: it runs, and a different count is an error
    no_launcher.setenv("RANK", "1")
    no_launcher.setenv("LOCAL_WORLD_SIZE", "2")
    assert [start(), start(2)] == [1, 1]
    with pytest.raises(LaunchError, match="--nproc_per_node 3, but the launcher started 2"):
        start(3)


def test_a_user_error_of_the_started_processes_is_one_line(
    frames_dir: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.json"
    result = run_command(tiny_run(frames_dir, missing, tmp_path / "run", "--nproc_per_node", "2"))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [f"error: annotation file {missing} does not exist"], result.stderr


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended


def _wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def _loaded_torch(pid: int) -> bool:
    """Whether process ``pid`` has torch's library mapped (it is past its first lines)."""
    try:
        return "libtorch" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_of_main_py_ends_every_started_process(
    frames_dir: Path, annotation_json: Path, tmp_path: Path
) -> None:
    argv = tiny_run(frames_dir, annotation_json, tmp_path / "run", "--nproc_per_node", "2")
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    parent = subprocess.Popen(
        [sys.executable, *argv], env=environment, cwd=REPO_ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        started: list[int] = []

        def running() -> bool:
            started[:] = _children(parent.pid)
            return len(started) == 2 and all(_loaded_torch(pid) for pid in started)

        assert _wait_until(running, 60)
        parent.send_signal(signal.SIGINT)
        _, stderr = parent.communicate(timeout=60)
    finally:
        parent.kill()
    assert parent.returncode == 128 + signal.SIGINT
    assert "stopped by SIGINT: ended the 2 processes" in stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert not any(_alive(pid) for pid in started)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal")
def test_a_started_process_ends_when_the_launcher_is_killed() -> None:
    """SIGKILL gives the launcher no time to stop its processes: they follow it by themselves."""
    child = (
        "from strg.engine.launched import follow_launcher; follow_launcher(); "
        "print('following', flush=True); import time; time.sleep(120)"
    )
    parent = f"""
import os, subprocess, sys, time
os.environ[{launched.PARENT_VARIABLE!r}] = str(os.getpid())
child = subprocess.Popen([sys.executable, "-c", {child!r}], stdout=subprocess.PIPE, text=True)
child.stdout.readline()
print(child.pid, flush=True)
time.sleep(120)
"""
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    launcher = subprocess.Popen([sys.executable, "-c", parent], stdout=subprocess.PIPE,
                                text=True, env=environment)  # fmt: skip
    try:
        started = int(launcher.stdout.readline())
        assert _alive(started)
        launcher.kill()
        launcher.wait(timeout=30)
        assert _wait_until(lambda: not _alive(started), 10)
    finally:
        launcher.kill()
        if _alive(started):
            os.kill(started, signal.SIGKILL)


def test_user_errors_reach_the_launcher_as_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not launched.report_to_launcher("nothing to report to")  # not a started process
    monkeypatch.setenv(launched.ERRORS_VARIABLE, str(tmp_path))
    monkeypatch.setenv("RANK", "3")
    assert launched.report_to_launcher("error of rank 3")
    assert (tmp_path / "rank-00003.txt").read_text() == "error of rank 3"
