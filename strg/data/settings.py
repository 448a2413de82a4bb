"""The settings of a data set, as one frozen value: what to read, how to sample and transform it.

:class:`DataSettings` is what :func:`strg.data.builder.build_video_dataset` takes and where every
data default is declared (``main.py``'s parser reads its defaults from here through
:mod:`strg.config`). Field names are main.py's flag names where one exists. It imports nothing
heavy, so the option parser can read the defaults without loading torch.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Flag values of ``--file_type`` and ``--input_type``.
FILE_TYPES = ("jpg", "hdf5", "video")
#: Suffixes (without the dot) of the video files ``--file_type video`` and the builders read.
VIDEO_FILE_TYPES = ("webm", "mp4", "avi", "mkv")
INPUT_TYPES = ("rgb", "flow")


@dataclass(frozen=True)
class DataSettings:
    """Reading, sampling, augmentation, normalisation and labels of one run's data.

    ``frame_pattern`` names the jpg layout (a key of
    :data:`strg.structures.FRAME_NAME_PATTERNS`). ``temporal_sampling`` is ``dense`` or
    ``segment`` (Something-Something). ``no_hflip`` turns the plain training flip off;
    ``flip_swap_labels`` flips all the same and swaps the labels of left/right class pairs
    (:attr:`hflip` is the one rule combining them). ``mean_dataset``, ``no_mean_norm``,
    ``no_std_norm``, ``value_scale``, ``mean``/``std`` (``--mean``/``--std``, in the units after
    ``value_scale``) and ``weights_mean``/``weights_std`` (the pretrained weights' own, on the
    [0, 1] scale) choose the normalisation (:meth:`normalization`).
    ``nrois`` boxes per feature step are read when the data set has a proposal store.
    ``skip_missing`` leaves out unreadable videos with a summary instead of raising.
    """

    file_type: str = "jpg"
    input_type: str = "rgb"
    frame_pattern: str = "image"
    sample_size: int = 112
    sample_duration: int = 16
    sample_t_stride: int = 1
    temporal_sampling: str = "dense"
    train_crop: str = "random"
    train_crop_min_scale: float = 0.25
    train_crop_min_ratio: float = 0.75
    no_hflip: bool = False
    flip_swap_labels: bool = False
    colorjitter: bool = False
    train_t_crop: str = "random"
    n_val_samples: int = 3
    inference_stride: int = 16
    n_test_clips: int = 0
    inference_crop: str = "center"
    mean_dataset: str = "kinetics"
    no_mean_norm: bool = False
    no_std_norm: bool = False
    value_scale: float = 1
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    weights_mean: tuple[float, ...] | None = None
    weights_std: tuple[float, ...] | None = None
    nrois: int = 10
    multi_label: bool = False
    skip_missing: bool = False
    seed: int = 0

    @property
    def n_input_channels(self) -> int:
        """3 for RGB frames, 2 for optical flow (x and y)."""
        return 2 if self.input_type == "flow" else 3

    @property
    def hflip(self) -> bool:
        """Whether training flips clips horizontally (and, with ``flip_swap_labels``, labels)."""
        return self.flip_swap_labels or not self.no_hflip

    def normalization(self):  # -> strg.data.normalization.Normalization (imports torch)
        """The normalisation of these settings' clips: ``(x / 255 · value_scale − mean) / std``.

        Per quantity, the first that applies wins: ``--mean`` / ``--std``; ``--no_mean_norm`` (0)
        / ``--no_std_norm`` (1); the pretrained weights' own (× value_scale); the
        ``--mean_dataset`` preset (× value_scale). Flow keeps the first two values.
        """
        from strg.data.normalization import Normalization, mean_std

        mean, std = mean_std(
            self.mean_dataset, self.no_mean_norm, self.no_std_norm, self.value_scale, 3
        )
        if self.weights_mean is not None and not self.no_mean_norm:
            mean = [value * self.value_scale for value in self.weights_mean]
        if self.weights_std is not None and not self.no_std_norm:
            std = [value * self.value_scale for value in self.weights_std]
        if self.mean is not None:
            mean = [float(value) for value in self.mean]
        if self.std is not None:
            std = [float(value) for value in self.std]
        n = self.n_input_channels
        return Normalization(mean[:n], std[:n], self.value_scale)
