"""The options of ``main.py``: every flag of 3D-ResNets-PyTorch, of the STRG fork, and ours.

All 66 original option names keep their defaults and meanings (3d-resnets-compat §1); argparse's
prefix matching stays on, as there. Where the original asserted later, this parser refuses at
once with a usage error naming the flag: values outside a fixed set (``choices``) and
contradictory combinations (:func:`check_options`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

DATASETS = (
    "kinetics",
    "activitynet",
    "ucf101",
    "hmdb51",
    "mit",
    "somethingv1",
    "somethingv2",
    "charades",
)
MODELS = (
    "resnet",
    "resnet2p1d",
    "preresnet",
    "wideresnet",
    "resnext",
    "densenet",
    "i3d",
    "resnet_strg",
    "i3d_strg",
)


def _paths(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("paths (joined onto --root_path when it is given)")
    group.add_argument("--root_path", type=Path, default=None, help="root directory")
    group.add_argument(
        "--video_path", type=Path, default=None, help="directory of frame folders / hdf5 / videos"
    )
    group.add_argument("--annotation_path", type=Path, default=None, help="annotation JSON")
    group.add_argument(
        "--result_path", type=Path, default=None, help="output directory (created if missing)"
    )
    group.add_argument(
        "--proposal_path",
        type=Path,
        default=None,
        help="proposal store of extract_proposals / import_boxes (needed by --strg)",
    )


def _dataset(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("data set and classes")
    group.add_argument(
        "--dataset", default="kinetics", choices=DATASETS, help="(default: %(default)s)"
    )
    group.add_argument("--n_classes", type=int, default=400, help="classes (default: %(default)s)")
    group.add_argument(
        "--n_pretrain_classes",
        type=int,
        default=0,
        help="classes of the --pretrain_path checkpoint (default: %(default)s)",
    )
    group.add_argument(
        "--pretrain_path", type=Path, default=None, help="checkpoint to fine-tune from"
    )
    group.add_argument(
        "--keep_classifier",
        action="store_true",
        help="with --pretrain_path: keep the checkpoint's classifier instead of a fresh one (same "
        "classes: --n_pretrain_classes = --n_classes), e.g. to continue a backbone on its data",
    )
    group.add_argument(
        "--ft_begin_module",
        default="",
        help="first top-level module to fine-tune (conv1, layer1..4, fc, ...); earlier modules are "
        "frozen, BatchNorm statistics included. Empty: train everything",
    )
    group.add_argument(
        "--skip_missing",
        action="store_true",
        help="leave out videos whose frames or proposals are missing, with a summary, instead of "
        "stopping with an error",
    )


def _input(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("input sampling and augmentation")
    group.add_argument(
        "--sample_size", type=int, default=112, help="crop side (default: %(default)s)"
    )
    group.add_argument(
        "--sample_duration", type=int, default=16, help="frames per clip (default: %(default)s)"
    )
    group.add_argument(
        "--sample_t_stride",
        type=int,
        default=1,
        help="take every k-th frame (default: %(default)s)",
    )
    group.add_argument(
        "--temporal_sampling",
        default=None,
        choices=("dense", "segment"),
        help="dense clips (3D-ResNets) or one frame per segment (TSN, the Something-Something "
        "practice); default: segment for somethingv1/v2, dense otherwise",
    )
    group.add_argument(
        "--train_crop",
        default="random",
        choices=("random", "corner", "center"),
        help="training crop: RandomResizedCrop, MultiScaleCornerCrop or centre (default: random)",
    )
    group.add_argument(
        "--train_crop_min_scale", type=float, default=0.25, help="(default: %(default)s)"
    )
    group.add_argument(
        "--train_crop_min_ratio", type=float, default=0.75, help="(default: %(default)s)"
    )
    group.add_argument(
        "--no_hflip",
        action="store_true",
        help="no horizontal flip in training (always off for somethingv1/v2 unless "
        "--hflip_swap_labels)",
    )
    group.add_argument(
        "--hflip_swap_labels",
        action="store_true",
        help="flip and swap the labels of left/right class pairs (e.g. 'from left to right')",
    )
    group.add_argument(
        "--colorjitter", action="store_true", help="random colour jitter in training"
    )
    group.add_argument(
        "--train_t_crop",
        default="random",
        choices=("random", "center"),
        help="temporal crop in training (default: %(default)s)",
    )
    group.add_argument(
        "--file_type",
        default="jpg",
        choices=("jpg", "hdf5", "video"),
        help="frame folders, HDF5 files, or the videos decoded directly (default: %(default)s)",
    )
    group.add_argument(
        "--input_type", default="rgb", choices=("rgb", "flow"), help="(default: %(default)s)"
    )


def _normalisation(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("normalisation")
    group.add_argument(
        "--mean_dataset",
        default="kinetics",
        choices=("kinetics", "activitynet", "0.5"),
        help="mean and std preset (default: %(default)s)",
    )
    group.add_argument("--no_mean_norm", action="store_true", help="mean 0")
    group.add_argument("--no_std_norm", action="store_true", help="std 1")
    group.add_argument(
        "--value_scale",
        type=int,
        default=1,
        help="1: inputs in [0,1]; 255: in [0,255] (default: 1)",
    )


def _model(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model")
    group.add_argument("--model", default="resnet", choices=MODELS, help="(default: %(default)s)")
    group.add_argument("--model_depth", type=int, default=18, help="(default: %(default)s)")
    group.add_argument("--conv1_t_size", type=int, default=7, help="(default: %(default)s)")
    group.add_argument("--conv1_t_stride", type=int, default=1, help="(default: %(default)s)")
    group.add_argument("--no_max_pool", action="store_true", help="no max-pool after conv1")
    group.add_argument(
        "--resnet_shortcut", default="B", choices=("A", "B"), help="(default: %(default)s)"
    )
    group.add_argument(
        "--resnet_widen_factor", type=float, default=1.0, help="(default: %(default)s)"
    )
    group.add_argument("--wide_resnet_k", type=int, default=2, help="(default: %(default)s)")
    group.add_argument("--resnext_cardinality", type=int, default=32, help="(default: %(default)s)")


def _region_graph(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("space-time region graph")
    group.add_argument("--strg", action="store_true", help="add the region-graph head")
    group.add_argument(
        "--nrois", type=int, default=10, help="boxes per feature time step (default: %(default)s)"
    )
    group.add_argument(
        "--det_interval",
        type=int,
        default=None,
        help="frames between box sets; default and only accepted value: the backbone's temporal "
        "stride (kept for the STRG fork's command lines)",
    )
    group.add_argument(
        "--graphs",
        nargs="+",
        default=["similarity", "spatial_temporal"],
        choices=("similarity", "spatial_temporal"),
        help="graphs in use (default: both)",
    )
    group.add_argument("--gcn_layers", type=int, default=3, help="(default: %(default)s)")
    group.add_argument(
        "--gcn_fusion",
        default="end",
        choices=("end", "layer"),
        help="sum the graph families after separate GCN stacks (end) or in every layer",
    )
    group.add_argument("--gcn_residual", action="store_true", help="residual GCN layers")
    group.add_argument(
        "--no_global", action="store_true", help="classify from the graph feature alone"
    )
    group.add_argument(
        "--reduce_dim", type=int, default=512, help="node width d (default: %(default)s)"
    )


def _optimisation(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("optimisation")
    group.add_argument("--learning_rate", type=float, default=0.1, help="(default: %(default)s)")
    group.add_argument("--momentum", type=float, default=0.9, help="SGD (default: %(default)s)")
    group.add_argument("--dampening", type=float, default=0.0, help="SGD; 0 with --nesterov")
    group.add_argument("--weight_decay", type=float, default=1e-3, help="(default: %(default)s)")
    group.add_argument("--nesterov", action="store_true", help="Nesterov momentum")
    group.add_argument(
        "--optimizer", default="sgd", choices=("sgd", "adamw"), help="(default: sgd)"
    )
    group.add_argument(
        "--lr_scheduler",
        default="multistep",
        choices=("multistep", "plateau", "cosine"),
        help="(default: %(default)s)",
    )
    group.add_argument(
        "--multistep_milestones",
        type=int,
        nargs="+",
        default=[50, 100, 150],
        help="epochs after which the LR is divided by 10 (default: %(default)s)",
    )
    group.add_argument(
        "--overwrite_milestones",
        action="store_true",
        help="on resume, use these milestones instead of the checkpoint's",
    )
    group.add_argument("--plateau_patience", type=int, default=10, help="(default: %(default)s)")
    group.add_argument(
        "--warmup_epochs",
        type=float,
        default=0.0,
        help="linear LR warm-up from 0, in epochs, stepped per iteration (default: %(default)s)",
    )
    group.add_argument(
        "--batch_size", type=int, default=128, help="clips per step (default: %(default)s)"
    )
    group.add_argument(
        "--accumulate_steps",
        type=int,
        default=1,
        help="batches whose gradients are summed before each optimiser step (default: 1)",
    )
    group.add_argument(
        "--inference_batch_size",
        type=int,
        default=0,
        help="videos per inference batch; 0: --batch_size (default: %(default)s)",
    )
    group.add_argument("--batchnorm_sync", action="store_true", help="SyncBatchNorm (distributed)")
    group.add_argument(
        "--freeze_bn", action="store_true", help="BatchNorm in eval mode with frozen affine weights"
    )
    group.add_argument(
        "--n_epochs", type=int, default=200, help="last epoch (default: %(default)s)"
    )
    group.add_argument(
        "--n_val_samples", type=int, default=3, help="clips per video in validation (default: 3)"
    )
    group.add_argument(
        "--amp",
        default="none",
        choices=("none", "bf16", "fp16"),
        help="mixed precision: bf16 (CPU or GPU) or fp16 (GPU only) (default: %(default)s)",
    )


def _run_control(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("run control")
    group.add_argument("--resume_path", type=Path, default=None, help="checkpoint to resume from")
    group.add_argument("--no_train", action="store_true", help="skip training")
    group.add_argument("--no_val", action="store_true", help="skip validation")
    group.add_argument("--inference", action="store_true", help="run inference after the epochs")
    group.add_argument(
        "--inference_subset",
        default="val",
        choices=("train", "val", "test"),
        help="subset for inference, written to <subset>.json (default: %(default)s)",
    )
    group.add_argument(
        "--inference_stride", type=int, default=16, help="sliding-window stride in frames"
    )
    group.add_argument(
        "--inference_crop",
        default="center",
        choices=("center", "three", "nocrop"),
        help="spatial views in inference: a centre crop, three crops along the long side, or "
        "the whole frame with the short side at --sample_size (default: center)",
    )
    group.add_argument(
        "--n_test_clips",
        type=int,
        default=0,
        help="temporal clips per video in inference, evenly spread; 0: a sliding window of "
        "--inference_stride (dense sampling) or one clip (segment sampling) (default: 0)",
    )
    group.add_argument(
        "--inference_no_average", action="store_true", help="one result per clip, not per video"
    )
    group.add_argument("--output_topk", type=int, default=5, help="labels per video; <=0: all")
    group.add_argument("--no_cuda", action="store_true", help="run on the CPU even with a GPU")
    group.add_argument("--n_threads", type=int, default=4, help="data-loader worker processes")
    group.add_argument("--checkpoint", type=int, default=10, help="save every k epochs")
    group.add_argument("--manual_seed", type=int, default=1, help="(default: %(default)s)")
    group.add_argument(
        "--accimage",
        action="store_true",
        help="accepted for old command lines and refused: frames are decoded by torchvision",
    )
    group.add_argument(
        "--tensorboard", action="store_true", help="TensorBoard events in result_path"
    )
    group.add_argument(
        "--wandb", action="store_true", help="log to Weights & Biases (extra 'wandb')"
    )


def _distribution(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("distribution (launch with torchrun)")
    group.add_argument(
        "--distributed",
        action="store_true",
        help="one process per device: torchrun --nproc_per_node=K main.py --distributed ...",
    )
    group.add_argument(
        "--dist_url",
        default=None,
        help="process-group init method (default: env:// under torchrun, else "
        "tcp://127.0.0.1:23456)",
    )
    group.add_argument(
        "--world_size",
        type=int,
        default=-1,
        help="number of nodes, checked against the launcher's when given (default: -1)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``main.py`` parser."""
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Train, validate and run inference with 3D CNNs and Space-Time Region Graphs.",
    )
    for add in (
        _paths,
        _dataset,
        _input,
        _normalisation,
        _model,
        _region_graph,
        _optimisation,
        _run_control,
        _distribution,
    ):
        add(parser)
    return parser


def _positive(args: argparse.Namespace, names: tuple[str, ...], minimum: int = 1) -> list[str]:
    return [
        f"--{name} must be >= {minimum}, got {getattr(args, name)}"
        for name in names
        if getattr(args, name) < minimum
    ]


def check_options(args: argparse.Namespace) -> list[str]:
    """Contradictory or impossible combinations, each as a message naming the flags."""
    errors = _positive(
        args,
        (
            "sample_size",
            "sample_duration",
            "sample_t_stride",
            "batch_size",
            "accumulate_steps",
            "n_epochs",
            "n_val_samples",
            "checkpoint",
            "inference_stride",
            "nrois",
            "gcn_layers",
            "reduce_dim",
            "n_classes",
        ),
    )
    errors += _positive(args, ("inference_batch_size", "n_test_clips", "n_threads"), minimum=0)
    if args.warmup_epochs < 0:
        errors.append(f"--warmup_epochs must be >= 0, got {args.warmup_epochs}")
    if args.lr_scheduler == "plateau" and args.no_val:
        errors.append("--lr_scheduler plateau steps on the validation loss: drop --no_val")
    if args.batchnorm_sync and not args.distributed:
        errors.append("--batchnorm_sync needs --distributed")
    if args.world_size != -1 and not args.distributed:
        errors.append("--world_size needs --distributed")
    if args.input_type == "flow" and args.file_type != "hdf5":
        errors.append("--input_type flow needs --file_type hdf5")
    if (args.pretrain_path is None) != (args.n_pretrain_classes == 0):
        errors.append("--pretrain_path and --n_pretrain_classes go together")
    if args.keep_classifier and args.pretrain_path is None:
        errors.append("--keep_classifier needs --pretrain_path (the classifier to keep)")
    elif args.keep_classifier and args.n_pretrain_classes != args.n_classes:
        errors.append(
            f"--keep_classifier keeps a {args.n_pretrain_classes}-class classifier: "
            f"--n_classes must be {args.n_pretrain_classes}, got {args.n_classes}"
        )
    if args.ft_begin_module and args.pretrain_path is None:
        errors.append("--ft_begin_module needs --pretrain_path (it freezes pretrained modules)")
    strg = args.strg or args.model.endswith("_strg")
    if strg and args.proposal_path is None:
        errors.append(
            "--strg needs --proposal_path (the boxes, from extract_proposals/import_boxes)"
        )
    if args.proposal_path is not None and not strg:
        errors.append("--proposal_path is only read with --strg")
    if args.hflip_swap_labels and args.no_hflip:
        errors.append("--hflip_swap_labels flips clips: drop --no_hflip")
    if args.overwrite_milestones and args.resume_path is None:
        errors.append("--overwrite_milestones needs --resume_path")
    if args.no_train and args.no_val and not args.inference:
        errors.append("--no_train --no_val without --inference leaves nothing to do")
    if args.accimage:
        errors.append("--accimage is not supported: frames are decoded by torchvision")
    if args.amp == "fp16" and args.no_cuda:
        errors.append("--amp fp16 needs a GPU (on the CPU it is ~100x slower): use --amp bf16")
    return errors


def parse_options(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse and check ``argv``; a contradiction exits with a usage error naming the flags."""
    parser = build_parser()
    args = parser.parse_args(argv)
    errors = check_options(args)
    if errors:
        parser.error("; ".join(errors))
    return args
