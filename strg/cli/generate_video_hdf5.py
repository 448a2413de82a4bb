"""``python -m util_scripts.generate_video_hdf5 SRC DST DATASET``: one HDF5 file per video."""

from __future__ import annotations

from strg.cli.generate_video_jpgs import build_parser, run
from strg.prep.hdf5 import convert_video, import_h5py


def main(argv: list[str] | None = None) -> int:
    """Write the HDF5 files; exit status 0 ok, 1 some videos failed, 2 bad input."""
    parser = build_parser(
        "generate_video_hdf5",
        "HDF5 files DST/<class>/<video>.hdf5, whose dataset 'video' holds the JPEG bytes of "
        "each frame (entry i = frame image_{i+1:05d}.jpg)",
    )
    return run(
        argv,
        parser,
        ".hdf5",
        lambda size, fps: lambda job: convert_video(job, size, fps),
        check=import_h5py,
    )


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
