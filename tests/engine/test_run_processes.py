"""What is about the process itself: a loader worker's error arrives as its one-line message, and
a live run's result folder is refused to a second run, then taken over once it was killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from strg.cli.main import main
from strg.engine.result_lock import LOCK_NAME
from tests.conftest import REPO_ROOT, run_command
from tests.engine.bad_inputs import main_args, the_error_line, with_unreadable_video
from tests.engine.conftest import tiny_run


def test_a_worker_data_error_is_one_line(
    frames_dir: Path, annotation_json: Path, tmp_path: Path
) -> None:
    annotation, _, broken = with_unreadable_video(annotation_json, tmp_path, "training")
    one_worker = ["--n_threads", "1", "--n_epochs", "1", "--no_val", "--batch_size", "7"]
    result = run_command(tiny_run(frames_dir, annotation, tmp_path / "out", *one_worker))
    assert result.returncode == 2
    line = the_error_line(result.stderr)
    assert line.startswith("error: ") and str(broken) in line and "is empty" in line
    assert "Caught" not in result.stderr and "DataLoader worker" not in result.stderr


def test_a_second_run_into_a_live_runs_folder_is_refused_then_a_killed_runs_lock_taken_over(
    frames_dir: Path, annotation_json: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = tmp_path / "run"
    first = subprocess.Popen(
        [sys.executable, *tiny_run(frames_dir, annotation_json, result, "--n_epochs", "100",
                                   "--batch_size", "7", "--no_val")],
        cwd=REPO_ROOT, env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not (result / "opts.json").is_file():
            assert first.poll() is None and time.monotonic() < deadline, "the first run never began"
            time.sleep(0.05)
        options = (result / "opts.json").read_bytes()
        second = main(main_args(frames_dir, annotation_json, result, "--n_epochs", "1"))
        assert second == 2
        line = the_error_line(capsys.readouterr().err)
        assert f"--result_path {result} is in use by another run (pid {first.pid})" in line
        assert first.poll() is None  # the first run goes on, its files untouched
        assert (result / "opts.json").read_bytes() == options
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()

    partial = result / ".save_7.pth.abcd1234.tmp"  # what a kill -9 mid-write leaves
    partial.write_bytes(b"half a checkpoint")
    third = main(main_args(frames_dir, annotation_json, result, "--n_epochs", "1", "--no_val",
                           "--batch_size", "7"))  # fmt: skip
    err = capsys.readouterr().err
    assert third == 0, err[-2000:]
    assert f"was locked by a run that is gone (pid {first.pid}, killed?)" in err
    assert f"note: removed {partial}" in err
    assert not partial.exists() and not (result / LOCK_NAME).exists()
    assert (result / "save_1.pth").is_file()
