"""visualize_graph on a video none of whose boxes falls inside the crop says so."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from strg.cli.visualize_graph import main
from strg.data.proposal_store import ProposalStore, from_frame_lists


def test_a_picture_without_boxes_in_the_crop_comes_with_a_note(
    strg_run: Path,
    proposal_store: Path,
    annotation_json: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    database = json.loads(annotation_json.read_text())["database"]
    video_id = next(v for v, entry in database.items() if entry["subset"] == "validation")
    store_dir = tmp_path / "boxes"
    shutil.copytree(proposal_store, store_dir)
    store = ProposalStore(store_dir)
    original = store.load(video_id)
    # every box in the frame's left corner: the centre crop of the landscape frames cuts it off
    corner = from_frame_lists(
        original.frame_indices.tolist(),
        [np.array([[0.0, 0.0, 20.0, 20.0]])] * len(original.frame_indices),
        original.frame_size,
    )
    store.save(video_id, corner)
    out = tmp_path / "graph.png"
    status = main(["--resume_path", str(strg_run / "save_1.pth"), "--video_id", video_id,
                   "--proposal_path", str(store_dir), "--out", str(out)])  # fmt: skip
    assert status == 0 and out.is_file()
    captured = capsys.readouterr()
    assert f"note: no box of video {video_id} falls inside the crop" in captured.err
    assert str(out) in captured.err
