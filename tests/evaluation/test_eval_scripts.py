"""eval_accuracy and eval_map against direct computations on random results."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from strg.evaluation.mean_ap import average_precision, mean_average_precision
from tests.conftest import run_command

CLASSES = [f"class {k}" for k in range(6)]


def write_ground_truth(path: Path, labels: dict[str, object], subset: str = "validation") -> None:
    database = {}
    for video_id, label in labels.items():
        key = "labels" if isinstance(label, list) else "label"
        database[video_id] = {"subset": subset, "annotations": {key: label, "segment": [1, 10]}}
    database["train only"] = {"subset": "training", "annotations": {"label": CLASSES[0]}}
    path.write_text(json.dumps({"labels": CLASSES, "database": database}))


def write_results(path: Path, scores: dict[str, np.ndarray], top: int = len(CLASSES)) -> None:
    results = {}
    for video_id, row in scores.items():
        order = np.argsort(-row)[:top]
        results[video_id] = [{"label": CLASSES[k], "score": float(row[k])} for k in order]
    path.write_text(json.dumps({"results": results}))


@pytest.fixture
def random_case(tmp_path: Path):
    rng = np.random.default_rng(0)
    video_ids = [f"v{n}" for n in range(40)]
    truth = {video_id: CLASSES[int(rng.integers(6))] for video_id in video_ids}
    scores = {video_id: rng.random(6) for video_id in video_ids}
    with_results = video_ids[:30]  # ten videos have no result
    write_ground_truth(tmp_path / "gt.json", truth)
    write_results(tmp_path / "val.json", {v: scores[v] for v in with_results}, top=5)
    return tmp_path, truth, scores, with_results


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("ignore", [False, True])
def test_eval_accuracy_matches_a_direct_top_k_count(random_case, k: int, ignore: bool) -> None:
    tmp_path, truth, scores, with_results = random_case
    correct = sum(CLASSES.index(truth[v]) in np.argsort(-scores[v])[:k] for v in with_results)
    expected = correct / (len(with_results) if ignore else len(truth))
    args = [
        "-m",
        "util_scripts.eval_accuracy",
        str(tmp_path / "gt.json"),
        str(tmp_path / "val.json"),
        "-k",
        str(k),
        "--subset",
        "val",
        "--save",
    ] + (["--ignore"] if ignore else [])
    result = run_command(args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "load ground truth",
        f"number of ground truth: {len(truth)}",
        "load result",
        f"number of result: {len(with_results)}",
        f"calculate top-{k} accuracy",
        f"top-{k} accuracy: {expected}",
    ]
    assert float((tmp_path / f"top{k}.txt").read_text()) == expected


def test_eval_accuracy_refuses_unknown_ids_and_labels_and_empty_subsets(random_case) -> None:
    tmp_path, _, _, _ = random_case
    data = json.loads((tmp_path / "val.json").read_text())
    data["results"]["stranger"] = data["results"]["v0"]
    (tmp_path / "unknown_id.json").write_text(json.dumps(data))
    result = run_command(
        [
            "util_scripts/eval_accuracy.py",
            str(tmp_path / "gt.json"),
            str(tmp_path / "unknown_id.json"),
        ]
    )
    assert result.returncode == 2 and "stranger" in result.stderr

    data = json.loads((tmp_path / "val.json").read_text())
    data["results"]["v0"][0]["label"] = "juggling"
    (tmp_path / "unknown_label.json").write_text(json.dumps(data))
    result = run_command(
        [
            "-m",
            "util_scripts.eval_accuracy",
            str(tmp_path / "gt.json"),
            str(tmp_path / "unknown_label.json"),
        ]
    )
    assert result.returncode == 2 and "'juggling'" in result.stderr and "v0" in result.stderr

    result = run_command(
        [
            "-m",
            "util_scripts.eval_accuracy",
            str(tmp_path / "gt.json"),
            str(tmp_path / "val.json"),
            "--subset",
            "testing",
            "--ignore",
        ]
    )
    assert result.returncode == 2 and "no ground-truth video in the subset" in result.stderr

    (tmp_path / "not.json").write_text("{not json")
    result = run_command(
        ["-m", "util_scripts.eval_accuracy", str(tmp_path / "not.json"), str(tmp_path / "val.json")]
    )
    assert result.returncode == 2 and str(tmp_path / "not.json") in result.stderr


def direct_average_precision(scores: np.ndarray, positives: np.ndarray) -> float:
    """AP by definition: mean over positives of the precision among videos ranked above."""
    precisions = []
    order = np.argsort(-scores, kind="stable")
    rank_of = np.empty_like(order)
    rank_of[order] = np.arange(len(order))
    for video in np.flatnonzero(positives):
        above = rank_of <= rank_of[video]
        precisions.append(positives[above].sum() / above.sum())
    return float(np.mean(precisions))


def test_average_precision_by_hand() -> None:
    # ranking: P N P N -> precisions at positives 1/1 and 2/3
    assert average_precision(
        np.array([0.9, 0.8, 0.7, 0.1]), np.array([1, 0, 1, 0], bool)
    ) == pytest.approx((1 + 2 / 3) / 2)


def test_eval_map_matches_a_direct_computation(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    video_ids = [f"video {n}" for n in range(50)]
    targets = rng.random((50, 6)) < 0.3
    targets[:, 5] = False  # a class without positives is left out
    targets[np.flatnonzero(~targets.any(axis=1)), 0] = True
    scores = rng.random((50, 6))
    truth = {
        v: [CLASSES[k] for k in np.flatnonzero(targets[row])] for row, v in enumerate(video_ids)
    }
    write_ground_truth(tmp_path / "gt.json", truth)
    write_results(tmp_path / "val.json", {v: scores[row] for row, v in enumerate(video_ids[:45])})

    expected_scores = scores.copy()
    expected_scores[45:] = -np.inf  # videos without results
    per_class = [direct_average_precision(expected_scores[:, k], targets[:, k]) for k in range(5)]
    weights = targets[:, :5].sum(axis=0)
    expected_map = np.mean(per_class)
    expected_weighted = float(np.sum(np.array(per_class) * weights) / weights.sum())
    report = mean_average_precision(expected_scores, targets)
    assert report.mean_ap == pytest.approx(expected_map)
    assert np.isnan(report.per_class[5]) and report.n_classes_evaluated == 5

    result = run_command(
        ["-m", "util_scripts.eval_map", str(tmp_path / "gt.json"), str(tmp_path / "val.json")]
    )
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert float(lines["mAP"]) == pytest.approx(expected_map)
    assert float(lines["weighted AP"]) == pytest.approx(expected_weighted)
    assert lines["classes with positives"] == "5"
