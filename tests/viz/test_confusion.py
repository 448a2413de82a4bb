"""Confusion matrices of inference result JSONs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from strg.evaluation.accuracy import top_k_accuracy
from strg.evaluation.files import read_ground_truth, read_results
from strg.viz import VizError, confusion_matrix, plot_confusion
from strg.viz.confusion import confusion_size_inches
from strg.viz.figure import DPI
from tests.viz.conftest import assert_picture

LABELS = ["cat", "dog", "bird"]
#: video -> (true label, predicted labels best first)
VIDEOS = {
    "v1": ("cat", ["cat", "dog"]),
    "v2": ("cat", ["dog", "cat"]),
    "v3": ("dog", ["dog", "bird"]),
    "v4": ("bird", ["cat", "bird"]),
    "v5": ("bird", ["bird", "dog"]),
}


def _files(tmp_path: Path) -> tuple[Path, Path]:
    database = {
        v: {"subset": "validation", "annotations": {"label": t}} for v, (t, _) in VIDEOS.items()
    }
    database["t1"] = {"subset": "training", "annotations": {"label": "dog"}}
    annotation = tmp_path / "annotation.json"
    annotation.write_text(json.dumps({"labels": LABELS, "database": database}))
    results = {
        v: [{"label": name, "score": 0.9 - 0.5 * i} for i, name in enumerate(predicted)]
        for v, (_, predicted) in VIDEOS.items()
    }
    result = tmp_path / "val.json"
    result.write_text(json.dumps({"results": results}))
    return annotation, result


def _side(k: int) -> int:
    return round(confusion_size_inches(k) * DPI)


def test_counts_and_picture(tmp_path: Path) -> None:
    annotation, result = _files(tmp_path)
    counts, names = confusion_matrix(annotation, result, subset="val")  # the short alias
    assert names == LABELS
    expected = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 1]])
    np.testing.assert_array_equal(counts, expected)
    drawn = plot_confusion(annotation, result, tmp_path / "out" / "confusion.png")
    np.testing.assert_array_equal(drawn, expected)
    assert_picture(tmp_path / "out" / "confusion.png", (_side(3), _side(3)))


def test_missing_results_are_named_or_ignored(tmp_path: Path) -> None:
    annotation, result = _files(tmp_path)
    data = json.loads(result.read_text())
    del data["results"]["v4"]
    result.write_text(json.dumps(data))
    with pytest.raises(VizError, match=r"1 of the 5 validation videos \(e\.g\. v4\)"):
        confusion_matrix(annotation, result, subset="validation")
    counts, _ = confusion_matrix(annotation, result, ignore_missing=True)
    assert counts.sum() == 4
    with pytest.raises(VizError, match="has no testing videos"):
        confusion_matrix(annotation, result, subset="testing")


def test_confusion_of_a_real_run(strg_run: Path, annotation_json: Path, tmp_path: Path) -> None:
    out = tmp_path / "confusion.png"
    counts = plot_confusion(annotation_json, strg_run / "val.json", out, subset="val")
    truth = read_ground_truth(annotation_json, "validation")
    results = read_results(strg_run / "val.json", truth.class_names)
    assert counts.sum() == len(truth.video_labels)
    report = top_k_accuracy(truth, results, 1, ignore=False)
    assert np.trace(counts) / counts.sum() == pytest.approx(report.accuracy)
    assert_picture(out, (_side(14), _side(14)))
