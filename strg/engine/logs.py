"""Tab-separated logs with the original's columns: ``train.log``, ``train_batch.log``, ``val.log``.

Unlike the original, a resumed run appends to the existing logs instead of truncating them
(3d-resnets-compat §8); rows from epochs after the resume point, left by the interrupted run,
are dropped first so that every epoch appears once.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TextIO

from strg.atomic import WriteError, write_text_atomic
from strg.engine.errors import RunError

TRAIN_COLUMNS = ("epoch", "loss", "acc", "lr")
TRAIN_BATCH_COLUMNS = ("epoch", "batch", "iter", "loss", "acc", "lr")
VAL_COLUMNS = ("epoch", "loss", "acc")


class TableLogger:
    """One log file: a header row, then one row per :meth:`log`, flushed at once."""

    def __init__(
        self, path: Path, columns: tuple[str, ...], resume_epoch: int | None = None
    ) -> None:
        """Open ``path``; with ``resume_epoch`` keep the rows of epochs up to it, else start anew.

        ``resume_epoch`` is the last finished epoch of the checkpoint the run resumes from.
        """
        self.path = Path(path)
        self.columns = columns
        kept: list[list[str]] = []
        if resume_epoch is not None and self.path.is_file():
            with self.path.open(newline="") as existing:
                rows = list(csv.reader(existing, delimiter="\t"))
            if rows and tuple(rows[0]) != columns:
                raise RunError(f"{self.path} has columns {rows[0]}, expected {list(columns)}")
            kept = [row for row in rows[1:] if row and int(row[0]) <= resume_epoch]
        start = io.StringIO()
        csv.writer(start, delimiter="\t", lineterminator="\n").writerows([columns, *kept])
        try:
            # the kept rows are rewritten atomically: a failed start loses none of them
            write_text_atomic(self.path, start.getvalue())
            self._file: TextIO = self.path.open("a", newline="")
            self._writer = csv.writer(self._file, delimiter="\t", lineterminator="\n")
        except OSError as error:
            if isinstance(error, WriteError):
                raise
            raise RunError(f"could not write {self.path}: {error.strerror or error}") from error

    def log(self, **values: float | int) -> None:
        """Write one row; every column must be given, and no other."""
        if set(values) != set(self.columns):
            raise RunError(f"{self.path}: expected columns {self.columns}, got {sorted(values)}")
        try:
            self._writer.writerow([values[column] for column in self.columns])
            self._file.flush()
        except OSError as error:
            raise RunError(f"could not write {self.path}: {error.strerror or error}") from error

    def close(self) -> None:
        """Close the file."""
        self._file.close()
