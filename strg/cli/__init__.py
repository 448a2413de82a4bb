"""The ``strg`` command: one sub-command per tool, each also reachable as a module.

``strg synth ...`` is ``python -m strg.synth ...``; ``strg vid2img_sthv2 ...`` is
``python -m util_scripts.vid2img_sthv2 ...`` and ``python -m strg.cli.vid2img_sthv2 ...``,
``strg train ...`` is ``python main.py ...`` and ``python -m strg.cli.main ...``, and so on.
Argument parsing lives in this package only: the rest of the library takes explicit arguments.
"""

from __future__ import annotations

import importlib
import sys

#: Sub-command -> the module whose ``main(argv) -> int`` runs it.
COMMANDS: dict[str, str] = {
    "demo": "strg.cli.demo",
    "ablate": "strg.cli.ablate",
    "train": "strg.cli.main",
    "synth": "strg.cli.synth",
    "vid2img_sthv2": "strg.cli.vid2img_sthv2",
    "sthv2_json": "strg.cli.sthv2_json",
    "generate_video_jpgs": "strg.cli.generate_video_jpgs",
    "generate_video_hdf5": "strg.cli.generate_video_hdf5",
    "kinetics_json": "strg.cli.kinetics_json",
    "ucf101_json": "strg.cli.ucf101_json",
    "hmdb51_json": "strg.cli.hmdb51_json",
    "mit_json": "strg.cli.mit_json",
    "add_fps_into_activitynet_json": "strg.cli.add_fps_into_activitynet_json",
    "sthv1_json": "strg.cli.sthv1_json",
    "charades_json": "strg.cli.charades_json",
    "list_json": "strg.cli.list_json",
    "extract_proposals": "strg.cli.extract_proposals",
    "import_boxes": "strg.cli.import_boxes",
    "eval_accuracy": "strg.cli.eval_accuracy",
    "eval_map": "strg.cli.eval_map",
    "model_info": "strg.cli.model_info",
    "visualize_graph": "strg.cli.visualize_graph",
    "predict": "strg.cli.predict",
    "export": "strg.cli.export",
}

USAGE = "usage: strg {" + ",".join(COMMANDS) + "} [options]   (strg COMMAND -h for help)"


def dispatch(argv: list[str] | None = None) -> int:
    """Dispatch to a sub-command; returns its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        print("\n".join(f"  {name:<14} python -m {module}" for name, module in COMMANDS.items()))
        return 0 if argv else 2
    command, rest = argv[0].replace("-", "_"), argv[1:]
    if command not in COMMANDS:
        print(f"strg: unknown command {argv[0]!r}; valid: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    from strg.cli.invocation import set_dispatched

    set_dispatched(command)
    return importlib.import_module(COMMANDS[command]).main(rest)


#: The ``strg`` entry point. (Once ``strg.cli.main``, the main.py module, is imported, the
#: attribute ``strg.cli.main`` is that module: in-process callers use :func:`dispatch`.)
main = dispatch
