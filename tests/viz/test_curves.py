"""Loss and accuracy curves from train.log / val.log."""

from __future__ import annotations

from pathlib import Path

import pytest

from strg.viz import VizError, plot_curves, read_log
from strg.viz.curves import CURVES_INCHES
from strg.viz.figure import DPI
from tests.viz.conftest import assert_picture

SIZE = (int(CURVES_INCHES[0] * DPI), int(CURVES_INCHES[1] * DPI))


def _write_run(directory: Path, epochs: int, offset: float, val: bool = True) -> Path:
    directory.mkdir(parents=True)
    train = ["epoch\tloss\tacc\tlr"] + [
        f"{e}\t{3 - e * 0.2 + offset}\t{0.1 * e}\t0.01" for e in range(1, epochs + 1)
    ]
    (directory / "train.log").write_text("\n".join(train) + "\n")
    if val:
        rows = ["epoch\tloss\tacc"] + [
            f"{e}\t{3.2 - e * 0.15 + offset}\t{0.08 * e}" for e in range(1, epochs + 1)
        ]
        (directory / "val.log").write_text("\n".join(rows) + "\n")
    return directory


def test_two_runs_overlaid(tmp_path: Path) -> None:
    backbone = _write_run(tmp_path / "backbone", 5, 0.0)
    strg = _write_run(tmp_path / "strg", 4, -0.3, val=False)  # a --no_val run: training only
    out = plot_curves({"backbone": backbone, "STRG": strg}, tmp_path / "pics" / "curves.png")
    pixels = assert_picture(out, SIZE)
    # matplotlib's first two cycle colours, C0 (31, 119, 180) and C1 (255, 127, 14), both drawn
    for colour in ((31, 119, 180), (255, 127, 14)):
        assert ((pixels == colour).all(-1)).sum() > 50, colour


def test_read_log_values_and_errors(tmp_path: Path) -> None:
    run = _write_run(tmp_path / "run", 3, 0.0)
    table = read_log(run / "val.log", ("epoch", "loss", "acc"))
    assert table["epoch"] == [1.0, 2.0, 3.0]
    assert table["acc"] == pytest.approx([0.08, 0.16, 0.24])
    with pytest.raises(VizError, match="expected"):
        read_log(run / "val.log", ("epoch", "loss", "acc", "lr"))
    with pytest.raises(VizError, match=str(tmp_path / "missing" / "train.log")):
        plot_curves({"x": tmp_path / "missing"}, tmp_path / "x.png")
    (run / "train.log").write_text("epoch\tloss\tacc\tlr\n1\tnan?\t0.1\t0.01\n")
    with pytest.raises(VizError, match="line 2"):
        plot_curves({"x": run}, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_curves_of_a_real_run(strg_run: Path, tmp_path: Path) -> None:
    out = plot_curves({"STRG": strg_run}, tmp_path / "curves.png", title="tiny STRG")
    assert_picture(out, SIZE)
