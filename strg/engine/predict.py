"""Class scores of video files from a trained run: no annotation JSON, no extracted frames.

Each file becomes a record in memory (its frames counted by
:func:`strg.data.video_probe.probe_video`, its id the file's stem) and goes through ``main.py
--inference``'s path: the ``inference`` data set with the checkpoint's own sampling, crop and
normalisation (file type ``video``), the loader, the model and :func:`strg.engine.loops.infer`
(:mod:`strg.engine.scores`). A file therefore gets the scores ``main.py --inference --file_type
video`` gives it through an annotation file.

Videos are predicted one at a time, so a file that cannot be read fails alone (a
:class:`~strg.errors.StrgError` naming it) and the others are still predicted. Under STRG the
boxes come from a proposal store keyed by video id, filled on the fly by a detector when one is
given.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from strg.data.builder import dataset_of_records
from strg.data.loader import build_loader
from strg.data.proposal_store import ProposalStore
from strg.data.records import VIDEO_SUFFIXES, RecordSet, VideoRecord, load_annotation
from strg.data.video_probe import probe_video
from strg.engine.distributed import Process
from strg.engine.loops import Precision, infer
from strg.engine.result_file import top_labels
from strg.engine.scores import video_scores
from strg.engine.trained import TrainedRun
from strg.errors import StrgError
from strg.structures import SUBSETS


class PredictError(StrgError, ValueError):
    """The checkpoint, its class names or the box source cannot serve a prediction."""


@dataclass(frozen=True)
class VideoFile:
    """A file to predict and its video id (the key of the result JSON and of a proposal store)."""

    video_id: str
    path: Path


@dataclass(frozen=True)
class Window:
    """One inference clip: ``segment`` ``[first, last + 1)`` in 1-based frames (the result
    JSON's), ``seconds`` the same span in seconds (frame ``i`` starts at ``i / fps``), ``scores``
    K (the mean, or max, over its spatial views)."""

    segment: list[int]
    seconds: tuple[float, float]
    scores: torch.Tensor


@dataclass
class Prediction:
    """A video's class scores ``K`` (over all its clips) and each window's."""

    video: VideoFile
    fps: float
    n_frames: int
    scores: torch.Tensor
    windows: list[Window] = field(default_factory=list)


def find_videos(paths: list[Path]) -> list[VideoFile]:
    """The files named, and the video files (:data:`VIDEO_SUFFIXES`) under each directory named,
    in sorted order; ids are file stems. A directory without videos, or two files with one stem
    (their results would share a key), is a :class:`PredictError`. A named file that does not
    exist stays in the list: it fails when predicted, naming itself."""
    videos: dict[str, VideoFile] = {}
    for path in paths:
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file()
            )
            if not found:
                suffixes = ", ".join(VIDEO_SUFFIXES)
                raise PredictError(f"directory {path} holds no video file ({suffixes})")
        else:
            found = [path]
        for file in found:
            earlier = videos.get(file.stem)
            if earlier is not None and earlier.path != file:
                raise PredictError(
                    f"{earlier.path} and {file} have the same video id {file.stem!r} (the file "
                    "stem, the key of the results and of the proposal store); predict them apart"
                )
            videos[file.stem] = VideoFile(file.stem, file)
    return list(videos.values())


def class_names_of(run: TrainedRun, annotation_path: Path | None = None) -> list[str]:
    """The names of the run's outputs: the ``labels`` of ``annotation_path`` when given, else
    those training stored in the checkpoint. Neither, or a count that is not the model's, is a
    :class:`PredictError`."""
    n_classes = run.config.model.n_classes
    if annotation_path is not None:
        names = [str(name) for name in load_annotation(annotation_path).get("labels", [])]
        source = f"the 'labels' of {annotation_path}"
    elif run.class_names is not None:
        names, source = run.class_names, f"the class names stored in {run.path}"
    else:
        trained_on = run.config.paths.annotation_path
        hint = f" (it was trained on {trained_on})" if trained_on is not None else ""
        raise PredictError(
            f"checkpoint {run.path} stores no class names (written before training stored "
            f"them): pass --annotation_path, the annotation JSON it was trained on{hint}"
        )
    if len(names) != n_classes:
        raise PredictError(f"{source} are {len(names)} classes, but the model has {n_classes}")
    return names


class Predictor:
    """Predicts video files with ``run`` on ``device``; a context manager (it may hold a
    temporary proposal store).

    An STRG run needs boxes: ``proposal_path`` (a store keyed by video id) or
    ``detector_weights`` (the region-proposal network of :mod:`strg.prep.proposals`, resizing
    frames to ``detector_size``, run on every feature step's frame of each video missing from
    ``proposal_path``, or from a temporary store without it); neither is a
    :class:`PredictError`, never a box-less prediction. A run without the region graph refuses
    both (they would be unused).
    """

    def __init__(
        self,
        run: TrainedRun,
        class_names: list[str],
        device: torch.device | str = "cpu",
        proposal_path: Path | None = None,
        detector_weights: Path | None = None,
        detector_size: int | None = None,
    ) -> None:
        self.run, self.class_names = run, class_names
        self.device = torch.device(device)
        strg = run.config.model.strg
        if not strg and (proposal_path is not None or detector_weights is not None):
            raise PredictError(
                f"checkpoint {run.path} ({run.config.model.arch}) has no region-graph head: "
                "it reads no boxes, so --proposal_path and --detector_weights do not apply"
            )
        if strg and proposal_path is None and detector_weights is None:
            raise PredictError(
                f"checkpoint {run.path} ({run.config.model.arch}) is an STRG model and needs "
                "boxes: pass --proposal_path STORE (files <video id>.npz, the id being the file "
                "stem) or --detector_weights FILE (boxes extracted on the fly)"
            )
        if detector_weights is None and proposal_path is not None and not proposal_path.is_dir():
            raise PredictError(f"--proposal_path {proposal_path} is not a directory")
        self.detector = None
        if detector_weights is not None:
            from strg.prep.proposals import DEFAULT_SIZE, build_detector

            size = detector_size or DEFAULT_SIZE
            self.detector = build_detector(detector_weights, size, str(self.device))
        self._temporary = None
        if self.detector is not None and proposal_path is None:
            self._temporary = tempfile.TemporaryDirectory(prefix="strg-proposals-")
            proposal_path = Path(self._temporary.name)
        self.proposal_path = proposal_path
        amp = run.config.optimisation.amp
        # main.py refuses fp16 on the CPU; prediction there falls back to float32
        self.precision = Precision(
            self.device, "none" if amp == "fp16" and self.device.type != "cuda" else amp
        )
        self.settings = replace(run.data, file_type="video", skip_missing=False)
        self.model = run.model.to(self.device).eval()

    def __enter__(self) -> Predictor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the temporary proposal store, if any."""
        if self._temporary is not None:
            self._temporary.cleanup()
            self._temporary = None

    def predict(self, video: VideoFile) -> Prediction:
        """The scores of one file; an unreadable file is a :class:`~strg.errors.StrgError`
        naming it."""
        info = probe_video(video.path)
        record = VideoRecord(
            video_id=video.video_id,
            subset=SUBSETS["test"],
            path=video.path,
            frame_indices=range(info.n_frames),
        )
        if self.detector is not None:
            from strg.prep.proposals import video_file_proposals

            store = ProposalStore(self.proposal_path)
            if video.video_id not in store:
                nrois, interval = self.run.config.model.nrois, self.run.feature_step
                boxes = video_file_proposals(self.detector, record, interval, nrois)
                store.save(video.video_id, boxes)
        built = dataset_of_records(
            "inference",
            RecordSet([record], self.class_names),
            self.settings,
            proposal_path=self.proposal_path,
            temporal_stride=self.run.feature_step,
        )
        # one video per batch, loaded in this process: a file that fails, fails alone
        loader = build_loader(built.dataset, 1, shuffle=False, n_threads=0, device=self.device)
        multi_label = self.settings.multi_label
        scores = infer(self.model, loader, Process(device=self.device), self.precision, multi_label)
        return Prediction(
            video=video,
            fps=info.fps,
            n_frames=info.n_frames,
            scores=scores.videos[video.video_id],
            windows=_windows(scores.clips[video.video_id], info.fps, multi_label),
        )


def _windows(
    clips: list[tuple[list[int], torch.Tensor]], fps: float, multi_label: bool
) -> list[Window]:
    """One window per distinct segment, its spatial views' scores aggregated as a video's."""
    views: dict[tuple[int, int], list[torch.Tensor]] = {}
    for segment, scores in clips:
        views.setdefault((segment[0], segment[1]), []).append(scores)
    return [
        Window(
            segment=[start, end],
            seconds=((start - 1) / fps, (end - 1) / fps),
            scores=video_scores(torch.stack(scores), multi_label),
        )
        for (start, end), scores in views.items()
    ]


def result_json(
    predictions: list[Prediction], class_names: list[str], output_topk: int, per_window: bool
) -> dict:
    """The original's result JSON (``{"results": {video_id: [{"label", "score"}, ...]}}``, what
    eval_accuracy reads) of ``predictions``; ``per_window`` adds ``"windows": {video_id:
    [{"segment", "seconds", "result"}, ...]}``, each window's top labels."""
    out: dict = {
        "results": {
            p.video.video_id: top_labels(p.scores, class_names, output_topk) for p in predictions
        }
    }
    if per_window:
        out["windows"] = {
            p.video.video_id: [
                {
                    "segment": window.segment,
                    "seconds": [round(window.seconds[0], 6), round(window.seconds[1], 6)],
                    "result": top_labels(window.scores, class_names, output_topk),
                }
                for window in p.windows
            ]
            for p in predictions
        }
    return out
