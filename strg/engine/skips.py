"""The unreadable videos skipped under ``--skip_missing`` during training, validation and
inference: counted and named in one line per pass on stderr, one row each in ``skipped.log``.

Videos missing when the annotation is read are listed once at start (``RecordSet.summary``);
these are the ones that fail when their frames or boxes are loaded. In training each is replaced
by the next readable video (the batch keeps its size); in validation and inference it is left out
(no other video is scored in its place), so it is absent from ``{subset}.json``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch.distributed as dist

from strg.engine.distributed import Process
from strg.engine.logs import TableLogger

#: ``skipped.log``: the epoch (the checkpoint's for inference), the phase, the video, the reason.
SKIPPED_COLUMNS = ("epoch", "phase", "video", "reason")
SKIPPED_LOG = "skipped.log"

_CONSEQUENCE = {
    "training": "each replaced by the next readable video",
    "validation": "left out of the validation loss and accuracy",
    "inference": "left out of the result file",
}


class SkipLog:
    """Reports each pass's skipped videos; ``skipped.log`` is opened at the first skip (on a
    resume, its rows after ``resume_epoch`` are dropped, as the other logs' are)."""

    def __init__(self, result_path: Path, process: Process, resume_epoch: int | None) -> None:
        self.path = Path(result_path) / SKIPPED_LOG
        self.process = process
        self.resume_epoch = resume_epoch
        self._log: TableLogger | None = None
        if resume_epoch is None and process.is_main:  # a new run: no skips of an earlier one
            self.path.unlink(missing_ok=True)

    def report(
        self, epoch: int, phase: str, skipped: list[tuple[str, str]], gather: bool = True
    ) -> None:
        """Report the ``(video_id, reason)`` skips of one pass; rank 0 prints and logs. With
        ``gather`` every rank calls it and the skips of all ranks are gathered (else only rank 0
        ran the pass)."""
        if gather and self.process.distributed:
            gathered: list[list[tuple[str, str]] | None] = [None] * self.process.world_size
            dist.all_gather_object(gathered, skipped)
            skipped = [entry for part in gathered for entry in part or []]
        videos = dict(skipped)  # one entry per video (a padded distributed order repeats some)
        if not videos or not self.process.is_main:
            return
        where = "inference" if phase == "inference" else f"epoch {epoch} {phase}"
        names = ", ".join(list(videos)[:10]) + (", ..." if len(videos) > 10 else "")
        print(
            f"{where}: skipped {len(videos)} unreadable video(s) under --skip_missing "
            f"({_CONSEQUENCE[phase]}): {names}; reasons in {self.path}",
            file=sys.stderr,
            flush=True,
        )
        if self._log is None:
            self._log = TableLogger(self.path, SKIPPED_COLUMNS, self.resume_epoch)
        for video_id, reason in videos.items():
            self._log.log(epoch=epoch, phase=phase, video=video_id, reason=reason)

    def close(self) -> None:
        """Close ``skipped.log`` if it was opened."""
        if self._log is not None:
            self._log.close()
