"""Tiny data sets made on the fly for the data-loading tests."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from PIL import Image

from strg.data.proposal_store import ProposalStore, from_frame_lists
from strg.structures import frame_file_name

CLASSES = ["Pushing something from left to right", "Pushing something from right to left", "Other"]


def frame_image(video: int, index: int, height: int = 48, width: int = 64) -> np.ndarray:
    """A frame whose pixels tell its video and index apart (and a bright box that moves)."""
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[:, :, 0] = 4 * index % 256
    image[:, :, 1] = (20 * video + np.arange(width)[None, :]) % 200
    image[:, :, 2] = np.arange(height)[:, None]
    x = 4 + index % (width - 20)
    image[10:30, x : x + 12] = 230
    return image


def jpeg_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def make_jpg_dataset(
    root: Path,
    n_videos: int = 4,
    n_frames: int = 12,
    pattern: str = "image",
    subset: str = "training",
    explicit_paths: bool = False,
) -> Path:
    """``root/frames/<label>/<id>/`` frames, ``root/props`` boxes (every 2nd frame, frame size
    twice the decoded one), ``root/annotation.json``; returns the JSON path."""
    database = {}
    store = ProposalStore(root / "props")
    for video in range(n_videos):
        video_id = f"v{video}"
        label = CLASSES[video % len(CLASSES)]
        folder = root / "frames" / label / video_id
        folder.mkdir(parents=True)
        for index in range(n_frames):
            name = frame_file_name(index, pattern, video_id=video_id)
            (folder / name).write_bytes(jpeg_bytes(frame_image(video, index)))
        stored = list(range(0, n_frames, 2))
        store.save(
            video_id,
            from_frame_lists(
                stored,
                [np.array([[8.0 + 2 * i, 20, 40 + 2 * i, 60], [60, 40, 100, 90]]) for i in stored],
                frame_size=(96, 128),
            ),
        )
        entry = {
            "subset": subset,
            "annotations": {"label": label, "segment": [1, n_frames + 1]},
        }
        if subset == "testing":
            del entry["annotations"]["label"]
        if explicit_paths:
            entry["video_path"] = str(folder)
        database[video_id] = entry
    path = root / "annotation.json"
    path.write_text(json.dumps({"labels": CLASSES, "database": database}))
    return path
