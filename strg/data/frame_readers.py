"""Frame readers: the frames of one video at given 0-based indices, as one uint8 tensor.

Every reader returns ``T×C×H×W`` uint8 (C = 3 for RGB, 2 for flow; channels-last memory), in the
order asked, repeating frames that are asked twice (loop padding, each decoded once). A frame
that cannot be read is a :class:`DataError` naming the file (and the frame): never a shorter
clip.

* :class:`JpegFolderReader`: ``<folder>/<frame_file_name(i, pattern)>``, decoded by libjpeg-turbo
  (``torchvision.io.decode_jpeg``) straight into a tensor.
* :class:`Hdf5Reader`: one HDF5 file per video whose dataset ``video`` is a 1-D array of
  variable-length uint8 JPEG bytes, index 0 = first frame (``generate_video_hdf5``); flow files
  hold ``video_u`` and ``video_v`` (grayscale JPEGs) instead.
* :class:`VideoFileReader`: the original mp4/webm decoded with PyAV, from the start of the video
  up to the last frame asked (Something-Something and Kinetics clips are seconds long).
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torchvision
from PIL import Image

try:  # libjpeg-turbo straight into a tensor: twice as fast as PIL (benchmarks/loader.py)
    from torchvision.io import ImageReadMode, decode_jpeg

except ImportError:  # pragma: no cover - depends on the torchvision release
    decode_jpeg = None

    class ImageReadMode:  # the two modes used here, for the PIL fallback
        RGB = "RGB"
        GRAY = "L"


from strg.data.records import DataError, VideoRecord
from strg.structures import FRAME_NAME_PATTERNS, frame_file_name

INPUT_TYPES = ("rgb", "flow")
#: ``decode_jpeg`` takes a list of images from torchvision 0.19 on (pyproject allows 0.16).
_DECODES_LISTS = tuple(map(int, re.findall(r"\d+", torchvision.__version__)[:2])) >= (0, 19)


def _decode(data: bytes | np.ndarray, mode: ImageReadMode, where: str) -> torch.Tensor:
    """C×H×W uint8 from JPEG bytes; a broken file is a :class:`DataError` naming ``where``."""
    if len(data) == 0:
        raise DataError(f"{where} is empty")
    if decode_jpeg is None:
        try:
            with Image.open(io.BytesIO(bytes(data))) as image:
                array = np.asarray(image.convert(mode))
        except OSError as error:
            raise DataError(f"{where} is not a readable JPEG: {error}") from error
        return torch.from_numpy(array.reshape(*array.shape[:2], -1)).permute(2, 0, 1)
    try:
        # torchvision 0.29 deprecates its image codecs in favour of TorchCodec; they still work,
        # and the PIL path above takes over once they are gone.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return decode_jpeg(torch.frombuffer(bytearray(data), dtype=torch.uint8), mode=mode)
    except RuntimeError as error:
        reason = str(error).rsplit(",", 1)[-1].strip()
        raise DataError(f"{where} is not a readable JPEG: {reason}") from error


def _decode_all(
    blobs: Sequence[bytes | np.ndarray], mode: ImageReadMode, wheres: Sequence[str]
) -> list[torch.Tensor]:
    """C×H×W uint8 frames from the JPEG bytes of one clip, ``wheres`` naming each for errors.

    One ``decode_jpeg`` call for the whole list: per call, torchvision logs API usage and emits
    its deprecation warning, and the warning filter has to be set, about 60 µs a frame (a tenth
    of the decoding itself). Only when that call fails are the frames decoded one by one, to name
    the broken one.
    """
    if decode_jpeg is None or not _DECODES_LISTS or any(len(data) == 0 for data in blobs):
        return [_decode(data, mode, where) for data, where in zip(blobs, wheres, strict=True)]
    tensors = [torch.frombuffer(bytearray(data), dtype=torch.uint8) for data in blobs]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return decode_jpeg(tensors, mode=mode)
    except RuntimeError:
        return [_decode(data, mode, where) for data, where in zip(blobs, wheres, strict=True)]


def _stack(frames: list[torch.Tensor], where: Path) -> torch.Tensor:
    """T×C×H×W from C×H×W frames, stored channels-last (T×H×W×C in memory): the decoders write
    that layout, and torch's uint8 antialiased resize is several times faster on it."""
    sizes = {tuple(frame.shape) for frame in frames}
    if len(sizes) > 1:
        raise DataError(f"{where}: frames differ in size {sorted(sizes)}")
    return torch.stack([frame.permute(1, 2, 0) for frame in frames]).permute(0, 3, 1, 2)


def _check_indices(indices: Sequence[int], where: Path) -> list[int]:
    indices = [int(index) for index in indices]
    if not indices:
        raise DataError(f"{where}: no frames asked")
    if min(indices) < 0:
        raise DataError(f"{where}: negative frame index {min(indices)}")
    return indices


class JpegFolderReader:
    """Frames from a folder of JPEG files named by :func:`strg.structures.frame_file_name`."""

    def __init__(self, pattern: str = "image") -> None:
        if pattern not in FRAME_NAME_PATTERNS:
            valid = ", ".join(sorted(FRAME_NAME_PATTERNS))
            raise ValueError(f"unknown frame name pattern {pattern!r}; valid: {valid}")
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
        decoded = dict(zip(unique, _decode_all(blobs, ImageReadMode.RGB, paths), strict=True))
        return _stack([decoded[index] for index in indices], record.path)


class Hdf5Reader:
    """Frames from a per-video HDF5 file of JPEG bytes (``video``, or ``video_u``/``video_v``)."""

    def __init__(self, input_type: str = "rgb") -> None:
        if input_type not in INPUT_TYPES:
            raise ValueError(f"unknown input_type {input_type!r}; valid: {', '.join(INPUT_TYPES)}")
        self.input_type = input_type

    def read(self, record: VideoRecord, indices: Sequence[int]) -> torch.Tensor:
        """T×3×H×W (rgb) or T×2×H×W (flow: u, v) uint8 frames of ``record`` at ``indices``."""
        import h5py  # optional dependency: only the hdf5 file type needs it

        indices = _check_indices(indices, record.path)
        names = ("video",) if self.input_type == "rgb" else ("video_u", "video_v")
        mode = ImageReadMode.RGB if self.input_type == "rgb" else ImageReadMode.GRAY
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
                unique = list(dict.fromkeys(indices))
                if max(unique) >= len(dataset):
                    raise DataError(
                        f"{record.path}: frame {max(unique)} asked, but {name!r} holds only "
                        f"{len(dataset)} frames"
                    )
                blobs = [dataset[index] for index in unique]
                wheres = [f"{record.path} {name}[{index}]" for index in unique]
                decoded = dict(zip(unique, _decode_all(blobs, mode, wheres), strict=True))
                channels.append(_stack([decoded[index] for index in indices], record.path))
        return channels[0] if len(channels) == 1 else torch.cat(channels, dim=1)


class VideoFileReader:
    """Frames decoded from the video file itself with PyAV (no extraction step)."""

    def read(self, record: VideoRecord, indices: Sequence[int]) -> torch.Tensor:
        """T×3×H×W uint8 frames of ``record`` at ``indices`` (frame 0 = first decoded frame)."""
        import av  # core dependency, imported here to keep ``import strg.data`` light

        indices = _check_indices(indices, record.path)
        wanted = set(indices)
        last = max(indices)
        decoded: dict[int, torch.Tensor] = {}
        count = 0
        try:
            with av.open(str(record.path)) as container:
                stream = container.streams.video[0]
                stream.thread_type = "AUTO"
                for frame in container.decode(stream):
                    if count in wanted:
                        array = frame.to_ndarray(format="rgb24")
                        decoded[count] = torch.from_numpy(array).permute(2, 0, 1)
                    count += 1
                    if count > last:
                        break
        except FileNotFoundError:
            raise DataError(f"video {record.video_id}: {record.path} does not exist") from None
        except (av.error.FFmpegError, IndexError) as error:
            raise DataError(f"{record.path} cannot be decoded: {error}") from error
        if count <= last:
            raise DataError(
                f"{record.path} has only {count} decodable frames, frame {last} asked "
                "(truncated video, or a segment longer than the video)"
            )
        return _stack([decoded[index] for index in indices], record.path)


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
