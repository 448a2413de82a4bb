"""Encoding frames as the Something-Something v2 release does: VP9 in WebM at 12 fps."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from strg.atomic import atomic_path

FPS = 12
# One encoder thread and bit-exact muxing make the same frames give the same file, byte for byte.
VP9_OPTIONS = {
    "crf": "30",
    "b": "0",
    "deadline": "realtime",
    "cpu-used": "8",
    "threads": "1",
    "row-mt": "0",
}


def write_webm(path: Path, frames: np.ndarray, fps: int = FPS) -> None:
    """Write ``frames`` (T×H×W×3 uint8 RGB) to ``path`` as VP9 WebM, atomically."""
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be T×H×W×3 uint8, got {frames.shape} {frames.dtype}")
    with atomic_path(path) as temporary:
        container = av.open(
            str(temporary), mode="w", format="webm", options={"fflags": "+bitexact"}
        )
        try:
            stream = container.add_stream("libvpx-vp9", rate=fps)
            stream.width = frames.shape[2]
            stream.height = frames.shape[1]
            stream.pix_fmt = "yuv420p"
            stream.options = dict(VP9_OPTIONS)
            for frame in frames:
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        finally:
            container.close()
