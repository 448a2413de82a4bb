"""main.py's options: the original 66 names and defaults, the fork's, and refused contradictions."""

from __future__ import annotations

from pathlib import Path

import pytest

from strg.cli.options import build_parser, check_options, parse_options

#: 3d-resnets-compat §1: every original option and its default.
ORIGINAL_DEFAULTS = {
    "root_path": None, "video_path": None, "annotation_path": None, "result_path": None,
    "dataset": "kinetics", "n_classes": 400, "n_pretrain_classes": 0, "pretrain_path": None,
    "ft_begin_module": "", "sample_size": 112, "sample_duration": 16, "sample_t_stride": 1,
    "train_crop": "random", "train_crop_min_scale": 0.25, "train_crop_min_ratio": 0.75,
    "no_hflip": False, "colorjitter": False, "train_t_crop": "random", "learning_rate": 0.1,
    "momentum": 0.9, "dampening": 0.0, "weight_decay": 1e-3, "nesterov": False,
    "optimizer": "sgd", "lr_scheduler": "multistep", "multistep_milestones": [50, 100, 150],
    "overwrite_milestones": False, "plateau_patience": 10, "batch_size": 128,
    "inference_batch_size": 0, "batchnorm_sync": False, "n_epochs": 200, "n_val_samples": 3,
    "resume_path": None, "no_train": False, "no_val": False, "inference": False,
    "inference_subset": "val", "inference_stride": 16, "inference_crop": "center",
    "inference_no_average": False, "no_cuda": False, "n_threads": 4, "checkpoint": 10,
    "manual_seed": 1, "accimage": False, "output_topk": 5, "file_type": "jpg",
    "input_type": "rgb", "tensorboard": False, "distributed": False,
    "dist_url": None,  # deliberate: env:// under torchrun, the original's tcp URL otherwise
    "world_size": -1, "mean_dataset": "kinetics", "no_mean_norm": False, "no_std_norm": False,
    "value_scale": 1, "model": "resnet", "model_depth": 18, "conv1_t_size": 7,
    "conv1_t_stride": 1, "no_max_pool": False, "resnet_shortcut": "B",
    "resnet_widen_factor": 1.0, "wide_resnet_k": 2, "resnext_cardinality": 32,
}  # fmt: skip


def test_every_original_option_exists_with_its_default() -> None:
    assert len(ORIGINAL_DEFAULTS) == 66
    defaults = vars(build_parser().parse_args([]))
    for name, value in ORIGINAL_DEFAULTS.items():
        assert defaults[name] == value, name


def test_the_strg_forks_options_and_datasets_parse() -> None:
    args = parse_options(
        ["--dataset", "somethingv1", "--model", "resnet_strg", "--nrois", "10", "--det_interval",
         "2", "--proposal_path", "boxes", "--wandb", "--n_classes", "174"]
    )  # fmt: skip
    assert args.dataset == "somethingv1" and args.nrois == 10 and args.det_interval == 2
    assert args.proposal_path == Path("boxes")


def test_prefix_abbreviations_still_work_as_in_the_original() -> None:
    assert build_parser().parse_args(["--learning", "0.5"]).learning_rate == 0.5


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--lr_scheduler", "plateau", "--no_val"], "plateau"),
        (["--batchnorm_sync"], "--batchnorm_sync needs --distributed"),
        (["--input_type", "flow"], "--input_type flow needs --file_type hdf5"),
        (["--n_pretrain_classes", "700"], "--pretrain_path and --n_pretrain_classes"),
        (["--strg"], "--strg needs --proposal_path"),
        (["--no_train", "--no_val"], "nothing to do"),
        (["--n_val_samples", "0"], "--n_val_samples must be >= 1"),
        (["--amp", "fp16", "--no_cuda"], "--amp fp16 needs a GPU"),
    ],
)
def test_contradictions_are_refused_naming_the_flags(argv: list[str], message: str) -> None:
    errors = check_options(build_parser().parse_args(argv))
    assert any(message in error for error in errors), errors


def test_a_refusal_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_options(["--dataset", "kinetcs"])
    assert exit_info.value.code == 2
    assert "--dataset" in capsys.readouterr().err
