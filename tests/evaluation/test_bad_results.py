"""eval_map and eval_accuracy refuse what they cannot score honestly: no results, NaN scores,
an unknown subset name, a ground truth with a video twice or an entry that is not an object."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from strg.cli import eval_accuracy, eval_map

CLASSES = ["a", "b"]


@pytest.fixture
def ground_truth(tmp_path: Path) -> Path:
    path = tmp_path / "gt.json"
    database = {
        "v1": {"subset": "validation", "annotations": {"label": "a"}},
        "v2": {"subset": "validation", "annotations": {"label": "b"}},
    }
    path.write_text(json.dumps({"labels": CLASSES, "database": database}))
    return path


def _results(tmp_path: Path, results: dict) -> Path:
    path = tmp_path / "val.json"
    path.write_text(json.dumps({"results": results}))  # NaN is written as the bare literal
    return path


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and len(error.splitlines()) == 1, error
    assert "Traceback" not in error
    return error


@pytest.mark.parametrize("command", [eval_map.main, eval_accuracy.main], ids=["map", "accuracy"])
def test_no_results_are_refused(
    command, ground_truth: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = _results(tmp_path, {})
    assert command([str(ground_truth), str(results)]) == 2
    assert f"result file {results} has no results" in _one_line_error(capsys)


@pytest.mark.parametrize("command", [eval_map.main, eval_accuracy.main], ids=["map", "accuracy"])
def test_nan_scores_are_refused_naming_video_and_label(
    command, ground_truth: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = _results(tmp_path, {
        "v1": [{"label": "a", "score": 0.9}, {"label": "b", "score": 0.1}],
        "v2": [{"label": "b", "score": float("nan")}, {"label": "a", "score": 0.2}],
    })  # fmt: skip
    assert command([str(ground_truth), str(results)]) == 2
    assert "video v2, label 'b' has score nan, not a number" in _one_line_error(capsys)


def test_a_misspelt_subset_is_named_with_the_valid_ones(
    ground_truth: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = _results(tmp_path, {"v1": [{"label": "a", "score": 0.9}]})
    assert eval_map.main([str(ground_truth), str(results), "--subset", "validaton"]) == 2
    error = _one_line_error(capsys)
    assert "--subset 'validaton' is not a subset; valid: " in error and "val/validation" in error


@pytest.mark.parametrize(
    ("database", "expected"),
    [
        ('{"v1": {"subset": "validation", "annotations": {"label": "a"}}, '
         '"v1": {"subset": "validation", "annotations": {"label": "b"}}}', "'v1' is listed twice"),
        ('{"v1": ["validation", "a"]}', "video v1: expected an object"),
    ],
    ids=["duplicate", "list_entry"],
)  # fmt: skip
def test_a_malformed_ground_truth_is_refused(
    database: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    truth = tmp_path / "gt.json"
    truth.write_text('{"labels": ["a", "b"], "database": ' + database + "}")
    results = _results(tmp_path, {"v1": [{"label": "a", "score": 0.9}]})
    assert eval_accuracy.main([str(truth), str(results)]) == 2
    error = _one_line_error(capsys)
    assert expected in error and str(truth) in error
