"""Frame readers: the frames of one video at given 0-based indices, as one uint8 tensor.

Every reader returns ``T×C×H×W`` uint8 (C = 3 for RGB, 2 for flow; channels-last memory), in the
order asked, repeating frames that are asked twice (loop padding, each decoded once). A frame
that cannot be read is a :class:`DataError` naming the file (and the frame): never a shorter
clip.

* :class:`JpegFolderReader`: ``<folder>/<frame_file_name(i, pattern)>``, decoded by libjpeg-turbo
  (``simplejpeg``) straight into the clip's buffer.
* :class:`Hdf5Reader`: one HDF5 file per video whose dataset ``video`` is a 1-D array of
  variable-length uint8 JPEG bytes, index 0 = first frame (``generate_video_hdf5``); flow files
  hold ``video_u`` and ``video_v`` (grayscale JPEGs) instead.
* :class:`VideoFileReader`: the original mp4/webm decoded with PyAV; all clips of a video in one
  walk over the file, seeking to keyframes where the packet index allows
  (:mod:`strg.data.video_decode`).

:meth:`read_clips` reads several clips of one video (a data set's temporal clips) and yields them
one by one in the order asked: for video files in time linear in the video, not clips × video.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import simplejpeg
import torch

from strg.data.records import DataError, VideoRecord
from strg.structures import frame_file_name, frame_name_template

INPUT_TYPES = ("rgb", "flow")


def _decode_clip(
    blobs: Sequence[bytes | np.ndarray], colorspace: str, wheres: Sequence[str]
) -> np.ndarray:
    """N×H×W×C uint8 (C = 3 for ``RGB``, 1 for ``GRAY``) from the JPEG bytes of one clip's
    frames, ``wheres`` naming each for errors.

    Each frame is decoded by libjpeg-turbo straight into its row of one array: no per-frame
    tensor and no stacking copy afterwards (a tenth of a 32×224² clip's loading time). Every
    header is read first, so a frame of another size is an error naming it, never a frame
    written into the buffer with the wrong row length.
    """
    height = width = None
    for data, where in zip(blobs, wheres, strict=True):
        if len(data) == 0:
            raise DataError(f"{where} is empty")
        try:
            frame_height, frame_width, _, _ = simplejpeg.decode_jpeg_header(data)
        except ValueError as error:
            raise DataError(f"{where} is not a readable JPEG: {error}") from error
        if height is None:
            height, width = frame_height, frame_width
        elif (frame_height, frame_width) != (height, width):
            raise DataError(
                f"{where} is {frame_width}×{frame_height}, but {wheres[0]} is {width}×{height}: "
                "the frames of one video must have one size"
            )
    out = np.empty((len(blobs), height, width, 3 if colorspace == "RGB" else 1), dtype=np.uint8)
    for row, (data, where) in enumerate(zip(blobs, wheres, strict=True)):
        try:
            # strict: a truncated file is an error, not a frame padded with grey
            simplejpeg.decode_jpeg(data, colorspace=colorspace, buffer=out[row], strict=True)
        except ValueError as error:
            raise DataError(f"{where} is not a readable JPEG: {error}") from error
    return out


def _select(frames: np.ndarray, decoded: list[int], indices: list[int]) -> torch.Tensor:
    """T×C×H×W uint8 (channels-last memory) at frame ``indices``, from ``frames`` (N×H×W×C) of
    the distinct frame indices ``decoded``: a view when nothing repeats, else one copy (loop
    padding)."""
    row = {index: position for position, index in enumerate(decoded)}
    positions = [row[index] for index in indices]
    if positions != list(range(len(frames))):
        frames = frames[positions]
    return torch.from_numpy(frames).permute(0, 3, 1, 2)


def _check_indices(indices: Sequence[int], where: Path) -> list[int]:
    indices = [int(index) for index in indices]
    if not indices:
        raise DataError(f"{where}: no frames asked")
    if min(indices) < 0:
        raise DataError(f"{where}: negative frame index {min(indices)}")
    return indices


class ClipReader:
    """What every reader offers: :meth:`read` one clip, :meth:`read_clips` several of one video."""

    def read(self, record: VideoRecord, indices: Sequence[int]) -> torch.Tensor:
        raise NotImplementedError

    def read_clips(
        self, record: VideoRecord, clips: Sequence[Sequence[int]]
    ) -> Iterator[torch.Tensor]:
        """T×C×H×W uint8 frames of each clip of ``clips``, in order (one :meth:`read` each;
        frames on disk cost the same read alone or together)."""
        for indices in clips:
            yield self.read(record, indices)


class JpegFolderReader(ClipReader):
    """Frames from a folder of JPEG files named by :func:`strg.structures.frame_file_name`."""

    def __init__(self, pattern: str = "image") -> None:
        frame_name_template(pattern)  # an unknown layout fails here, not at the first frame
        self.pattern = pattern

    def frame_path(self, record: VideoRecord, index: int) -> Path:
        return record.path / frame_file_name(index, self.pattern, video_id=record.video_id)

    def read(self, record: VideoRecord, indices: Sequence[int]) -> torch.Tensor:
        """T×3×H×W uint8 frames of ``record`` at ``indices``."""
        indices = _check_indices(indices, record.path)
        unique = list(dict.fromkeys(indices))
        blobs, paths = [], []
        for index in unique:
            path = self.frame_path(record, index)
            try:
                blobs.append(path.read_bytes())
            except FileNotFoundError:
                raise DataError(
                    f"frame {index} of video {record.video_id} is missing: {path} does not exist"
                ) from None
            except OSError as error:
                raise DataError(f"cannot read {path}: {error.strerror}") from error
            paths.append(str(path))
        frames = _decode_clip(blobs, "RGB", paths)
        return _select(frames, unique, indices)


class Hdf5Reader(ClipReader):
    """Frames from a per-video HDF5 file of JPEG bytes (``video``, or ``video_u``/``video_v``)."""

    def __init__(self, input_type: str = "rgb") -> None:
        if input_type not in INPUT_TYPES:
            raise ValueError(f"unknown input_type {input_type!r}; valid: {', '.join(INPUT_TYPES)}")
        self.input_type = input_type

    def read(self, record: VideoRecord, indices: Sequence[int]) -> torch.Tensor:
        """T×3×H×W (rgb) or T×2×H×W (flow: u, v) uint8 frames of ``record`` at ``indices``."""
        import h5py  # optional dependency: only the hdf5 file type needs it

        indices = _check_indices(indices, record.path)
        unique = list(dict.fromkeys(indices))
        names = ("video",) if self.input_type == "rgb" else ("video_u", "video_v")
        colorspace = "RGB" if self.input_type == "rgb" else "GRAY"
        try:
            handle = h5py.File(record.path, "r")
        except FileNotFoundError:
            raise DataError(f"video {record.video_id}: {record.path} does not exist") from None
        except OSError as error:
            raise DataError(f"{record.path} is not a readable HDF5 file: {error}") from error
        with handle:
            channels = []
            for name in names:
                if name not in handle:
                    raise DataError(f"{record.path} has no dataset {name!r}")
                dataset = handle[name]
                if max(unique) >= len(dataset):
                    raise DataError(
                        f"{record.path}: frame {max(unique)} asked, but {name!r} holds only "
                        f"{len(dataset)} frames"
                    )
                blobs = [dataset[index] for index in unique]
                wheres = [f"{record.path} {name}[{index}]" for index in unique]
                frames = _decode_clip(blobs, colorspace, wheres)
                channels.append(_select(frames, unique, indices))
        return channels[0] if len(channels) == 1 else torch.cat(channels, dim=1)


class VideoFileReader(ClipReader):
    """Frames decoded from the video file itself with PyAV (no extraction step); frame 0 is the
    first decoded frame (the count of :func:`strg.data.video_probe.probe_video`)."""

    def read(self, record: VideoRecord, indices: Sequence[int]) -> torch.Tensor:
        """T×3×H×W uint8 frames of ``record`` at ``indices``."""
        return next(self.read_clips(record, [indices]))

    def read_clips(
        self, record: VideoRecord, clips: Sequence[Sequence[int]]
    ) -> Iterator[torch.Tensor]:
        """T×3×H×W uint8 frames of each clip of ``clips``, in order, from one walk over the file."""
        from strg.data.video_decode import decode_clips

        checked = [_check_indices(indices, record.path) for indices in clips]
        for frames in decode_clips(record.path, checked):
            yield torch.from_numpy(frames).permute(0, 3, 1, 2)


def build_reader(
    file_type: str = "jpg", input_type: str = "rgb", frame_pattern: str = "image"
) -> JpegFolderReader | Hdf5Reader | VideoFileReader:
    """The reader of ``file_type`` (``jpg``, ``hdf5`` or ``video``)."""
    if input_type == "flow" and file_type != "hdf5":
        raise ValueError("input_type 'flow' needs file_type 'hdf5' (video_u / video_v datasets)")
    if file_type == "jpg":
        return JpegFolderReader(frame_pattern)
    if file_type == "hdf5":
        return Hdf5Reader(input_type)
    if file_type == "video":
        return VideoFileReader()
    raise ValueError(f"unknown file_type {file_type!r}; valid: jpg, hdf5, video")
