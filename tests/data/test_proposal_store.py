"""The proposal store: round trip, selection of frames, padding and masks, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from strg.data.proposal_store import (
    ProposalStore,
    ProposalStoreError,
    from_frame_lists,
    load_video_proposals,
)


def sample_proposals():
    # Stored every 2nd frame: 0, 2, 4. Frame 2 has no box.
    return from_frame_lists(
        frame_indices=[0, 2, 4],
        frame_boxes=[
            np.array([[0, 0, 10, 10], [5, 5, 20, 30], [1, 2, 3, 4]]),
            np.zeros((0, 4)),
            np.array([[10, 10, 50, 60]]),
        ],
        frame_scores=[np.array([0.2, 0.9, 0.5]), np.zeros(0), np.array([0.7])],
        frame_size=(240, 320),
    )


def test_packing_sorts_boxes_by_score_and_pads(tmp_path: Path) -> None:
    proposals = sample_proposals()
    assert proposals.boxes.shape == (3, 3, 4)
    np.testing.assert_array_equal(proposals.counts, [3, 0, 1])
    np.testing.assert_allclose(proposals.scores[0], [0.9, 0.5, 0.2])
    np.testing.assert_array_equal(proposals.boxes[0, 0], [5, 5, 20, 30])
    np.testing.assert_array_equal(proposals.boxes[2, 1:], 0)


def test_round_trip_through_the_store(tmp_path: Path) -> None:
    store = ProposalStore(tmp_path / "store")
    store.save("video 1", sample_proposals())
    loaded = store.load("video 1")
    for name in ("frame_indices", "boxes", "scores", "counts", "object_ids"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(sample_proposals(), name))
    assert loaded.frame_size == (240, 320)
    assert "video 1" in store and store.missing(["video 1", "video 2"]) == ["video 2"]
    assert not list((tmp_path / "store").glob(".*"))  # no temporary file left


def test_select_takes_the_nearest_stored_frame_and_masks_padding() -> None:
    boxes, scores, mask = sample_proposals().select([0, 1, 3, 4, 9], n_boxes=2)
    assert boxes.shape == (5, 2, 4) and scores.shape == (5, 2) and mask.dtype == bool
    # 0 -> 0; 1 -> 0 (tie between 0 and 2 goes to the earlier); 3 -> 2; 4 -> 4; 9 -> 4
    np.testing.assert_array_equal(mask, [[1, 1], [1, 1], [0, 0], [1, 0], [1, 0]])
    np.testing.assert_array_equal(boxes[0], [[5, 5, 20, 30], [1, 2, 3, 4]])
    np.testing.assert_array_equal(boxes[3, 0], [10, 10, 50, 60])
    assert np.all(boxes[~mask] == 0) and np.all(scores[~mask] == 0)


def test_select_pads_beyond_the_stored_width() -> None:
    boxes, _, mask = sample_proposals().select([0], n_boxes=5)
    assert boxes.shape == (1, 5, 4)
    np.testing.assert_array_equal(mask[0], [1, 1, 1, 0, 0])


def test_missing_and_malformed_files_are_named(tmp_path: Path) -> None:
    store = ProposalStore(tmp_path)
    with pytest.raises(ProposalStoreError, match=r"video 42: .*42\.npz does not exist"):
        store.load("42")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ProposalStoreError, match=r"bad\.npz"):
        load_video_proposals(tmp_path / "bad.npz")
    np.savez(tmp_path / "partial.npz", boxes=np.zeros((1, 1, 4)))
    with pytest.raises(ProposalStoreError, match=r"partial\.npz: missing array"):
        load_video_proposals(tmp_path / "partial.npz")


def test_inconsistent_arrays_are_refused() -> None:
    with pytest.raises(ProposalStoreError, match="strictly increasing"):
        from_frame_lists([2, 2], [np.zeros((0, 4)), np.zeros((0, 4))], (10, 10))
