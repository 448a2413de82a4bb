"""``python -m util_scripts.hmdb51_json DIR VIDEO_PATH DST_DIR``: hmdb51_{1,2,3}.json."""

from __future__ import annotations

from strg.cli.ucf101_json import build_parser, run
from strg.prep.hmdb51 import build_annotations

DESCRIPTION = (
    "Build hmdb51_1.json, hmdb51_2.json and hmdb51_3.json in DST_DIR from the official "
    "DIR/<class>_test_split{1,2,3}.txt files (1 = training, 2 = validation, 0 = not in the "
    "split). Frames are counted at VIDEO_PATH/<class>/<video>."
)


def main(argv: list[str] | None = None) -> int:
    """Exit status 0 ok, 1 videos without frames, 2 bad input."""
    return run(argv, build_parser("hmdb51_json", DESCRIPTION), build_annotations)


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
