"""Fixtures of the picture tests: a tiny trained STRG run, and a check that a PNG is a picture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import run_command
from tests.engine.conftest import annotation_json, tiny_run  # noqa: F401 (session fixture)

#: The tiny STRG of tests/engine/test_main_recipe.py: r3d-10, 16×32², T' = 2, N = 4.
STRG = ["--strg", "--no_max_pool", "--sample_duration", "16", "--nrois", "4", "--gcn_layers", "1",
        "--reduce_dim", "32", "--batch_size", "7"]  # fmt: skip


def assert_picture(path: Path, size: tuple[int, int], min_colours: int = 8) -> np.ndarray:
    """``path`` is a PNG of ``size`` (width, height) pixels with content, not a blank canvas."""
    assert path.is_file(), f"{path} was not written"
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == size
        pixels = np.asarray(image.convert("RGB"))
    assert pixels.std() > 10, f"{path} is nearly uniform (std {pixels.std():.1f})"
    colours = np.unique(pixels.reshape(-1, 3), axis=0)
    assert len(colours) >= min_colours, f"{path} has only {len(colours)} colours"
    assert not list(path.parent.glob(f".{path.name}.*.tmp")), "a temporary file was left behind"
    return pixels


@pytest.fixture(scope="session")
def proposal_store(synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session data set's boxes imported with import_boxes."""
    store = tmp_path_factory.mktemp("viz_store") / "boxes"
    boxes, videos = synth_dir / "bounding_box_smthsmth.json", synth_dir / "videos"
    result = run_command(
        ["-m", "util_scripts.import_boxes", str(boxes), str(store), "--video_dir", str(videos)]
    )
    assert result.returncode == 0, result.stderr
    return store


@pytest.fixture(scope="session")
def strg_run(
    frames_dir: Path,
    annotation_json: Path,  # noqa: F811 (the imported fixture)
    proposal_store: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """A result directory of one STRG epoch with validation and inference: save_1.pth,
    train.log, val.log, val.json (top-3 per validation video)."""
    results = tmp_path_factory.mktemp("viz_run") / "strg"
    options = [*STRG, "--proposal_path", str(proposal_store), "--n_epochs", "1", "--inference",
               "--output_topk", "3"]  # fmt: skip
    trained = run_command(tiny_run(frames_dir, annotation_json, results, *options))
    assert trained.returncode == 0, trained.stderr
    return results
