"""``python -m util_scripts.list_json LIST ROOT DST_JSON``: a data set from ``path label`` lists."""

from __future__ import annotations

import argparse
from pathlib import Path

from strg.cli.common import add_skip_missing, write_annotation
from strg.cli.errors import user_error
from strg.cli.invocation import prog
from strg.errors import StrgError
from strg.prep.annotation import read_text
from strg.prep.list_file import build_annotation


def build_parser() -> argparse.ArgumentParser:
    """The command line of list_json."""
    parser = argparse.ArgumentParser(
        prog=prog("list_json"),
        description=(
            "Build an annotation JSON from lists of 'path label [label ...]' lines (MMAction2's "
            "custom format): path is a frame folder or a video file (.mp4/.webm/.avi/.mkv) under "
            "ROOT, labels are class indices or names. Frames are counted in the folder or decoded "
            "from the file; train on it with main.py --file_type jpg (with the same "
            "--frame_pattern) or --file_type video."
        ),
    )
    parser.add_argument("list_path", type=Path, help="the training list")
    parser.add_argument("root_path", type=Path, help="directory the listed paths are under")
    parser.add_argument("dst_path", type=Path, help="annotation JSON to write")
    parser.add_argument("--val_list", type=Path, help="the validation list")
    parser.add_argument("--test_list", type=Path, help="the test list (labels optional)")
    parser.add_argument(
        "--class_names",
        type=Path,
        help="one class name per line, line index = class id (default: '0'..'K-1' for integer "
        "labels, the training list's sorted names otherwise)",
    )
    parser.add_argument(
        "--multi_label",
        action="store_true",
        help="several labels per line, written as 'label': [names] (train with main.py "
        "--multi_label)",
    )
    parser.add_argument(
        "--frame_pattern",
        default="image",
        help="file names of the frames in a folder: image, sthv1, sthv2, charades or a "
        "template such as 'img_{:05d}.jpg' (default: %(default)s); checked on the first and "
        "last frame",
    )
    add_skip_missing(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit status 0 ok, 1 videos without frames, 2 bad input."""
    args = build_parser().parse_args(argv)
    lists = {"training": args.list_path, "validation": args.val_list, "testing": args.test_list}
    try:
        names = None
        if args.class_names is not None:
            names = [line.strip() for line in read_text(args.class_names).splitlines()]
            names = [name for name in names if name]
        result = build_annotation(
            {subset: path for subset, path in lists.items() if path is not None},
            args.root_path,
            class_names=names,
            multi_label=args.multi_label,
            frame_pattern=args.frame_pattern,
            skip_missing=args.skip_missing,
        )
    except StrgError as error:
        return user_error(error)
    return write_annotation(result, args.dst_path, args.skip_missing)


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
