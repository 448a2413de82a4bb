"""main.py's options, for code that imports them as 3D-ResNets-PyTorch's ``opts.parse_opts``."""

from strg.cli.options import build_parser, parse_options

parse_opts = parse_options

__all__ = ["build_parser", "parse_options", "parse_opts"]
