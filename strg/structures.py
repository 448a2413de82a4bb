"""The one frame-index convention and the one box convention of the project.

Frames: inside the library a frame index is 0-based. Exactly one function,
:func:`frame_file_name`, maps an index to a file name on disk, where every data set numbers its
frames from 1 (``image_00001.jpg``, ``00001.jpg``, ``000001.jpg``, ``<id>-000001.jpg``).

Boxes: float XYXY ``(x1, y1, x2, y2)`` in continuous pixel coordinates of the current frame or
clip: the pixel in column ``c`` covers ``[c, c + 1)``, so a box around columns 10..19 is
``x1 = 10, x2 = 20``.
"""

from __future__ import annotations

#: File-name patterns of the supported frame layouts, keyed by a short name.
FRAME_NAME_PATTERNS: dict[str, str] = {
    "image": "image_{:05d}.jpg",  # 3D-ResNets-PyTorch (Kinetics, UCF-101, HMDB-51, ...)
    "sthv1": "{:05d}.jpg",  # Something-Something v1 as released
    "sthv2": "{:06d}.jpg",  # Something-Something v2 extracted by the TSM / STRG tools
    "charades": "{video_id}-{:06d}.jpg",  # Charades' official frames
}


def frame_file_name(index: int, pattern: str = "image", video_id: str = "") -> str:
    """Return the file name of the frame with 0-based ``index`` in the layout ``pattern``.

    ``pattern`` is a key of :data:`FRAME_NAME_PATTERNS`; ``video_id`` is needed by layouts whose
    names carry it (Charades).
    """
    if index < 0:
        raise ValueError(f"frame index must be >= 0, got {index}")
    try:
        template = FRAME_NAME_PATTERNS[pattern]
    except KeyError:
        valid = ", ".join(sorted(FRAME_NAME_PATTERNS))
        raise ValueError(f"unknown frame name pattern {pattern!r}; valid: {valid}") from None
    return template.format(index + 1, video_id=video_id)
