"""The run configuration at the edge: built once from the options, every option consumed, its dict
form round-trips (older checkpoints' option dumps included), and the library's import boundary."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from strg.cli.options import build_parser, parse_options
from strg.config import (
    BUILD_OPTIONS,
    DATA_FLAGS,
    ConfigError,
    Distribution,
    FineTuning,
    ModelSpec,
    Optimisation,
    Paths,
    RunControl,
    build_config,
    config_from_dict,
    config_to_dict,
)
from strg.data.settings import DataSettings

REPO = Path(__file__).resolve().parents[1]
PATHS = ["--video_path", "v", "--annotation_path", "a.json", "--result_path", "r"]
STRG = ["--strg", "--proposal_path", "boxes"]
I3D = ["--model", "i3d", "--model_depth", "50"]
#: Flags that need company to be valid; the value of each flag itself is chosen by _changed.
COMPANIONS = {
    "batchnorm_sync": ["--distributed"],
    "world_size": ["--distributed"],
    "input_type": ["--file_type", "hdf5"],
    "pretrain_path": ["--pretrain_path", "p.pth", "--n_pretrain_classes", "5"],
    "n_pretrain_classes": ["--pretrain_path", "p.pth", "--n_pretrain_classes", "5"],
    "keep_classifier": ["--pretrain_path", "p.pth", "--n_pretrain_classes", "400"],
    "ft_begin_module": ["--pretrain_path", "p.pth", "--n_pretrain_classes", "5"],
    "pretrain_format": ["--pretrain_path", "p.pth", "--n_pretrain_classes", "5"],
    "proposal_path": STRG,
    "overwrite_milestones": ["--resume_path", "r.pth"],
    "wide_resnet_k": ["--model", "wideresnet"],
    "resnext_cardinality": ["--model", "resnext"],
    **{flag: I3D for flag in ("nonlocal_blocks", "res5_stride", "res5_dilation",
                               "temporal_pool_kernel")},
    "compile_mode": ["--compile"],
    **{flag: STRG for flag in ("nrois", "det_interval", "graphs", "gcn_layers", "gcn_fusion",
                               "gcn_residual", "no_global", "reduce_dim", "roi_output_size",
                               "iou_threshold", "global_dropout", "graph_dropout",
                               "similarity_scale", "no_zero_init_graph", "gcn_init_std",
                               "global_from_backbone", "head_lr_multiplier")},
}  # fmt: skip
#: Flags whose changed value needs company that the default would refuse.
CHANGE_COMPANIONS = {"strg": ["--proposal_path", "boxes"], "model": ["--proposal_path", "boxes"]}
#: Flags added after the first checkpoints were written: those lack them.
NEWER_FLAGS = (
    "temporal_strides",
    "spatial_strides",
    "max_pool_t_stride",
    "roi_output_size",
    "iou_threshold",
    "global_dropout",
    "graph_dropout",
    "similarity_scale",
    "no_zero_init_graph",
    "gcn_init_std",
    "global_from_backbone",
    "head_lr_multiplier",
    "nonlocal_blocks",
    "res5_stride",
    "res5_dilation",
    "temporal_pool_kernel",
    "channels_last",
    "compile",
    "compile_mode",
    "pretrain_format",
    "mean",
    "std",
)
#: Flags whose valid values the generic rule of _changed cannot guess.
VALUES = {"frame_pattern": ["--frame_pattern", "img_{:05d}.jpg"]}
#: Read only at the edge: the root the paths are joined onto, and a flag refused outright.
EDGE_ONLY = {"root_path", "accimage"}


def _changed(action) -> list[str]:
    """Command-line words setting ``action``'s flag to a valid value other than its default."""
    flag, default = action.option_strings[-1], action.default
    if action.nargs == 0:  # store_true
        return [flag]
    if action.choices:
        other = [c for c in action.choices if c != default and [c] != default]
        return [flag, str(other[-1])]
    if isinstance(action.nargs, int):  # --temporal_strides S S S S: all 1, not the default
        return [flag, *["1"] * action.nargs]
    if action.nargs == "+":
        return [flag, "7"] if action.type is int else [flag, str(action.choices[0])]
    if action.type is Path or (default is None and action.type is None):
        return [flag, "somewhere"] if action.type is Path else [flag, "tcp://127.0.0.1:1"]
    if action.type is int:
        return [flag, str(default + 2 if default is not None and default >= 0 else 2)]
    if action.type is float:
        return [flag, str(default / 2 if default > 0 else 0.5)]
    return [flag, "layer2"]  # --ft_begin_module


def _main_actions():
    return [action for action in build_parser()._actions if action.dest != "help"]


@pytest.mark.parametrize(
    "action",
    [action for action in _main_actions() if action.dest not in EDGE_ONLY],
    ids=lambda action: action.dest,
)
def test_every_option_reaches_the_configuration(action) -> None:
    argv = [*PATHS, *COMPANIONS.get(action.dest, [])]
    baseline = build_config(vars(parse_options(argv)))
    change = [*VALUES.get(action.dest, _changed(action)), *CHANGE_COMPANIONS.get(action.dest, [])]
    changed = build_config(vars(parse_options([*argv, *change])))
    before, after = config_to_dict(baseline), config_to_dict(changed)
    assert before[action.dest] != after[action.dest], (action.dest, before[action.dest])


def test_the_edge_flags_are_read_at_the_edge() -> None:
    config = build_config(vars(parse_options(["--root_path", "/data", *PATHS])))
    assert config.paths.video_path == Path("/data/v")
    assert config.paths.annotation_path == Path("/data/a.json")
    with pytest.raises(ConfigError, match="--accimage"):
        build_config({**vars(build_parser().parse_args(PATHS)), "accimage": True})


def _read_by(sources: list[Path], name: str) -> bool:
    return any(f".{name}" in source.read_text() for source in sources)


def test_every_configuration_field_is_read_below_the_edge() -> None:
    """A field nothing reads would be an option parsed and then ignored."""
    engine = [*sorted((REPO / "strg" / "engine").glob("*.py")), REPO / "strg" / "config.py"]
    data = [REPO / "strg" / "data" / "builder.py", REPO / "strg" / "data" / "settings.py"]
    unread = [
        f"{section.__name__}.{f.name}"
        for section in (Paths, FineTuning, Optimisation, RunControl, Distribution, ModelSpec)
        for f in fields(section)
        if f.name not in BUILD_OPTIONS and not _read_by(engine, f.name)
    ]
    unread += [f"DataSettings.{f.name}" for f in fields(DataSettings) if not _read_by(data, f.name)]
    assert not unread


def test_a_configuration_round_trips_through_its_dict_form() -> None:
    argv = [*PATHS, *STRG, "--dataset", "somethingv2", "--model", "i3d", "--model_depth", "50",
            "--n_classes", "174", "--graphs", "similarity", "--gcn_fusion", "layer",
            "--multistep_milestones", "3", "9", "--amp", "bf16", "--sample_size", "224",
            "--hflip_swap_labels", "--no_global", "--inference", "--n_test_clips", "2"]  # fmt: skip
    config = build_config(vars(parse_options(argv)))
    stored = json.loads(json.dumps(config_to_dict(config)))  # as a checkpoint holds it
    assert stored["config_version"] == 1
    assert config_from_dict(stored) == config
    # what the options resolve to is what the config says
    assert config.model.strg and config.model.arch == "i3d_strg-50"
    assert config.data.frame_pattern == "sthv2" and config.data.temporal_sampling == "segment"
    assert config.data.hflip and config.data.flip_swap_labels
    assert config.data.nrois == config.model.nrois == 10
    assert config.model.build_options(174, 3)["use_global"] is False
    assert config.optimisation.multistep_milestones == (3, 9)


def test_an_older_checkpoints_option_dump_reads_back() -> None:
    """Before the typed configuration, a checkpoint's ``config`` was ``vars(args)`` with paths
    as strings, ``strg`` as given, and no version."""
    argv = ["--root_path", "/data", *PATHS, "--dataset", "somethingv2", "--model", "resnet_strg",
            "--proposal_path", "boxes", "--model_depth", "10", "--n_classes", "14"]  # fmt: skip
    args = parse_options(argv)
    dumped = {
        key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()
    }
    for name in ("video_path", "annotation_path", "result_path", "proposal_path"):
        dumped[name] = f"/data/{dumped[name]}"  # the old run joined them onto the root
    for name in NEWER_FLAGS:
        del dumped[name]
    config = config_from_dict(json.loads(json.dumps(dumped)))
    # it was trained with the similarity graph's 1/√D, which it keeps
    assert config == build_config({**vars(args), "similarity_scale": True})
    assert config.model.strg and config.paths.proposal_path == Path("/data/boxes")
    current = config_from_dict(config_to_dict(build_config(vars(args))))
    assert not current.model.similarity_scale  # today's default: the paper's formula


def test_a_newer_configuration_version_is_refused() -> None:
    stored = config_to_dict(build_config(vars(parse_options(PATHS))))
    with pytest.raises(ConfigError, match="version 2"):
        config_from_dict({**stored, "config_version": 2})


def test_model_flags_the_model_does_not_take_are_refused_at_the_edge() -> None:
    with pytest.raises(ConfigError, match="--gcn_layers does not apply to --model resnet"):
        build_config(vars(parse_options([*PATHS, "--gcn_layers", "2"])))
    with pytest.raises(ConfigError, match="--resnet_widen_factor does not apply to --model i3d"):
        build_config(vars(parse_options([*PATHS, "--model", "i3d", "--resnet_widen_factor", "2"])))
    with pytest.raises(ConfigError, match="--video_path, --result_path must be given"):
        build_config(vars(parse_options(["--annotation_path", "a.json"])))


def test_data_flags_are_the_data_settings_fields() -> None:
    parser_dests = {action.dest for action in _main_actions()}
    assert set(DATA_FLAGS) <= parser_dests
    assert {DATA_FLAGS[flag] for flag in DATA_FLAGS} <= {f.name for f in fields(DataSettings)}


def test_importing_the_library_loads_no_optional_dependency() -> None:
    script = (
        "import importlib, pkgutil, sys, strg\n"
        "for module in pkgutil.walk_packages(strg.__path__, 'strg.'):\n"
        "    if not module.name.endswith('__main__'):\n"
        "        importlib.import_module(module.name)\n"
        "optional = ('h5py', 'tensorboard', 'matplotlib', 'wandb')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in optional))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_option_parser_does_not_load_torch() -> None:
    script = "import sys\nfrom strg.cli.options import parse_options\nparse_options([])\n" \
             "print('torch' in sys.modules)"  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_mean_std_flags_beat_the_weights_own_which_beat_the_preset(capsys) -> None:
    from dataclasses import replace

    from strg.config import with_pretrained
    from strg.data.settings import DataSettings

    preset = DataSettings(value_scale=255).normalization()
    assert preset.mean == pytest.approx([0.4345 * 255, 0.4051 * 255, 0.3775 * 255])
    weights = DataSettings(value_scale=255, weights_mean=(0.45,) * 3, weights_std=(0.225,) * 3)
    assert weights.normalization().mean == pytest.approx([0.45 * 255] * 3)
    assert weights.normalization().std == pytest.approx([0.225 * 255] * 3)
    explicit = replace(weights, mean=(1.0, 2.0, 3.0))
    assert explicit.normalization().mean == [1.0, 2.0, 3.0]  # in the units after value_scale
    assert explicit.normalization().std == pytest.approx([0.225 * 255] * 3)
    assert replace(weights, no_mean_norm=True).normalization().mean == [0.0] * 3
    flow = DataSettings(input_type="flow", file_type="hdf5", std=(4.0, 5.0, 6.0))
    assert flow.normalization().std == [4.0, 5.0]

    args = parse_options([*PATHS, "--std", "0.3", "0.3", "0.3", "--pretrain_path", "p.pkl",
                          "--n_pretrain_classes", "400"])  # fmt: skip
    config = with_pretrained(build_config(vars(args)), "caffe2", (0.45,) * 3, (0.225,) * 3)
    stored = config_to_dict(config)
    assert stored["pretrain_format"] == "caffe2" and stored["std"] == [0.3] * 3
    assert stored["weights_mean"] == [0.45] * 3 and stored["weights_std"] == [0.225] * 3
    assert config_from_dict(json.loads(json.dumps(stored))) == config  # a trained run keeps them
    normalization = config.data.normalization()
    assert normalization.mean == pytest.approx([0.45] * 3) and normalization.std == [0.3] * 3
    with pytest.raises(SystemExit):
        parse_options([*PATHS, "--mean", "0", "0", "0", "--no_mean_norm"])
    assert "--mean and --no_mean_norm contradict" in capsys.readouterr().err
