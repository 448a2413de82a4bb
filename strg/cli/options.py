"""The options of ``main.py``: every flag of 3D-ResNets-PyTorch, of the STRG fork, and ours.

All 66 original option names keep their defaults and meanings (3d-resnets-compat §1); argparse's
prefix matching stays on, as there. Where the original asserted later, this parser refuses at
once with a usage error naming the flag: values outside a fixed set (``choices``) and
contradictory combinations (:func:`check_options`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from strg.cli.invocation import prog
from strg.config import COMPILE_MODES, DATASETS, option_defaults
from strg.config_checks import contradictions
from strg.models.names import MODELS, PRETRAIN_FORMATS


def _paths(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("paths (joined onto --root_path when it is given)")
    group.add_argument("--root_path", type=Path, help="root directory")
    group.add_argument("--video_path", type=Path, help="directory of frame folders / hdf5 / videos")
    group.add_argument("--annotation_path", type=Path, help="annotation JSON")
    group.add_argument("--result_path", type=Path, help="output directory (created if missing)")
    group.add_argument(
        "--proposal_path",
        type=Path,
        help="proposal store of extract_proposals / import_boxes (needed by --strg)",
    )


def _dataset(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("data set and classes")
    group.add_argument("--dataset", choices=DATASETS, help="(default: %(default)s)")
    group.add_argument("--n_classes", type=int, help="classes (default: %(default)s)")
    group.add_argument(
        "--n_pretrain_classes",
        type=int,
        help="classes of the --pretrain_path checkpoint (default: %(default)s)",
    )
    group.add_argument(
        "--pretrain_path",
        type=Path,
        help="weights to fine-tune from: a checkpoint in any --pretrain_format, or a torchvision "
        "weights name (e.g. R3D_18_Weights.KINETICS400_V1, ResNet50_Weights.IMAGENET1K_V1), "
        "which torchvision downloads",
    )
    group.add_argument(
        "--pretrain_format",
        choices=("auto", *PRETRAIN_FORMATS),
        help="format of --pretrain_path; auto: detected from the file (default: %(default)s)",
    )
    group.add_argument(
        "--keep_classifier",
        action="store_true",
        help="with --pretrain_path: keep the checkpoint's classifier instead of a fresh one (same "
        "classes: --n_pretrain_classes = --n_classes), e.g. to continue a backbone on its data",
    )
    group.add_argument(
        "--ft_begin_module",
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
    group.add_argument("--sample_size", type=int, help="crop side (default: %(default)s)")
    group.add_argument("--sample_duration", type=int, help="frames per clip (default: %(default)s)")
    group.add_argument(
        "--sample_t_stride",
        type=int,
        help="take every k-th frame (default: %(default)s)",
    )
    group.add_argument(
        "--temporal_sampling",
        choices=("dense", "segment"),
        help="dense clips (3D-ResNets) or one frame per segment (TSN, the Something-Something "
        "practice); default: segment for somethingv1/v2, dense otherwise",
    )
    group.add_argument(
        "--train_crop",
        choices=("random", "corner", "center"),
        help="training crop: RandomResizedCrop, MultiScaleCornerCrop or centre (default: random)",
    )
    group.add_argument("--train_crop_min_scale", type=float, help="(default: %(default)s)")
    group.add_argument("--train_crop_min_ratio", type=float, help="(default: %(default)s)")
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
        choices=("random", "center"),
        help="temporal crop in training (default: %(default)s)",
    )
    group.add_argument(
        "--file_type",
        choices=("jpg", "hdf5", "video"),
        help="frame folders, HDF5 files, or the videos decoded directly (default: %(default)s)",
    )
    group.add_argument("--input_type", choices=("rgb", "flow"), help="(default: %(default)s)")
    group.add_argument(
        "--frame_pattern",
        help="file names of the jpg frames: image (image_00001.jpg), sthv1 (00001.jpg), sthv2 "
        "(000001.jpg), charades (<id>-000001.jpg), or a template of the 1-based frame number "
        "such as 'img_{:05d}.jpg' (MMAction2's rawframes); default: the --dataset's layout",
    )
    group.add_argument(
        "--multi_label",
        action="store_true",
        help="several labels per video (annotation 'label': [names]): multi-hot targets, "
        "binary cross-entropy, sigmoid scores, max over clips; always on for charades",
    )


def _normalisation(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("normalisation")
    group.add_argument(
        "--mean_dataset",
        choices=("kinetics", "activitynet", "0.5"),
        help="mean and std preset (default: %(default)s)",
    )
    group.add_argument("--no_mean_norm", action="store_true", help="mean 0")
    group.add_argument("--no_std_norm", action="store_true", help="std 1")
    group.add_argument(
        "--mean",
        type=float,
        nargs=3,
        metavar=("R", "G", "B"),
        help="mean per channel, in the input's units after --value_scale (what opts.json "
        "records). Which wins: --mean/--std, then --no_mean_norm/--no_std_norm, then the "
        "--pretrain_path weights' own (torchvision: ImageNet or Kinetics; Caffe2, PySlowFast: "
        "0.45/0.225; ...), then --mean_dataset",
    )
    group.add_argument(
        "--std", type=float, nargs=3, metavar=("R", "G", "B"), help="std per channel (as --mean)"
    )
    group.add_argument(
        "--value_scale",
        type=int,
        help="1: inputs in [0,1]; 255: in [0,255] (default: 1)",
    )


def add_model_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model")
    group.add_argument("--model", choices=list(MODELS), help="(default: %(default)s)")
    group.add_argument("--model_depth", type=int, help="(default: %(default)s)")
    group.add_argument("--conv1_t_size", type=int, help="(default: %(default)s)")
    group.add_argument("--conv1_t_stride", type=int, help="(default: %(default)s)")
    group.add_argument("--no_max_pool", action="store_true", help="no max-pool after conv1")
    group.add_argument("--resnet_shortcut", choices=("A", "B"), help="(default: %(default)s)")
    group.add_argument("--resnet_widen_factor", type=float, help="(default: %(default)s)")
    group.add_argument("--wide_resnet_k", type=int, help="(default: %(default)s)")
    group.add_argument("--resnext_cardinality", type=int, help="(default: %(default)s)")
    group.add_argument(
        "--temporal_strides",
        type=int,
        nargs=4,
        metavar="S",
        help="3D-ResNet family: stride in time of layer1..layer4, each 1 or 2 (default: 1 2 2 "
        "2); finer feature steps for the region graph, e.g. 1 2 1 1",
    )
    group.add_argument(
        "--spatial_strides",
        type=int,
        nargs=4,
        metavar="S",
        help="3D-ResNet family: stride in height and width of layer1..layer4, each 1 or 2 "
        "(default: 1 2 2 2); e.g. 1 2 2 1 for maps of 1/8 of the clip",
    )
    group.add_argument(
        "--max_pool_t_stride",
        type=int,
        choices=(1, 2),
        help="3D-ResNet family: the stem max-pool's stride in time (default: %(default)s)",
    )
    group.add_argument(
        "--nonlocal_blocks",
        action="store_true",
        help="i3d: the Non-local paper's five non-local blocks (NL-I3D): after every other res3 "
        "block and after res4 blocks 1, 3, 5 (R50) or 6, 13, 20 (R101), as the authors' code",
    )
    group.add_argument(
        "--res5_stride",
        type=int,
        choices=(1, 2),
        help="i3d: spatial stride of the last stage (default: 2; 1 under the region graph, the "
        "paper's 14² res5 map at 224²)",
    )
    group.add_argument(
        "--res5_dilation",
        type=int,
        choices=(1, 2),
        help="i3d: dilation of the last stage's 3×3 convs, e.g. 2 with --res5_stride 1 (default: "
        "%(default)s)",
    )
    group.add_argument(
        "--temporal_pool_kernel",
        type=int,
        choices=(2, 3),
        help="i3d: kernel in time of the max-pool after res2 (stride 2): 3 as the paper's table, "
        "2 as the authors' Caffe2 code and its weights (default: %(default)s)",
    )


def add_region_graph_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("space-time region graph")
    group.add_argument("--strg", action="store_true", help="add the region-graph head")
    group.add_argument(
        "--nrois", type=int, help="boxes per feature time step (default: %(default)s)"
    )
    group.add_argument(
        "--det_interval",
        type=int,
        help="frames between box sets; default and only accepted value: the backbone's temporal "
        "stride (kept for the STRG fork's command lines)",
    )
    group.add_argument(
        "--graphs",
        nargs="+",
        choices=("similarity", "spatial_temporal"),
        help="graphs in use (default: both)",
    )
    group.add_argument("--gcn_layers", type=int, help="(default: %(default)s)")
    group.add_argument(
        "--gcn_fusion",
        choices=("end", "layer"),
        help="sum the graph families after separate GCN stacks (end) or in every layer",
    )
    group.add_argument("--gcn_residual", action="store_true", help="residual GCN layers")
    group.add_argument(
        "--no_global", action="store_true", help="classify from the graph feature alone"
    )
    group.add_argument("--reduce_dim", type=int, help="node width d (default: %(default)s)")
    group.add_argument(
        "--roi_output_size", type=int, help="RoIAlign output side, max-pooled (default: 7)"
    )
    group.add_argument(
        "--iou_threshold",
        type=float,
        help="IoU a spatial-temporal edge must exceed (default: %(default)s)",
    )
    group.add_argument(
        "--global_dropout", type=float, help="dropout on the global feature (default: 0.3)"
    )
    group.add_argument(
        "--graph_dropout", type=float, help="dropout on the graph feature (default: 0.5)"
    )
    group.add_argument(
        "--similarity_scale",
        action="store_true",
        help="divide the similarity logits by sqrt(d), as the non-local block does (off: the "
        "paper's formula; at small d the scale makes the graph uniform)",
    )
    group.add_argument(
        "--no_zero_init_graph",
        action="store_true",
        help="start the graph half of the classifier at random instead of zero (zero: a fresh "
        "head gives its global branch's logits)",
    )
    group.add_argument(
        "--gcn_init_std",
        type=float,
        help="std of the normal draw of the GCN weights; 0: PyTorch's Linear default "
        "(default: %(default)s)",
    )
    group.add_argument(
        "--global_from_backbone",
        action="store_true",
        help="the global half of the classifier reads the pooled backbone feature, as the "
        "stage-1 classifier does; with --keep_classifier that classifier is copied in, so "
        "stage 2 starts from the stage-1 model's logits",
    )


def _optimisation(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("optimisation")
    group.add_argument("--learning_rate", type=float, help="(default: %(default)s)")
    group.add_argument("--momentum", type=float, help="SGD (default: %(default)s)")
    group.add_argument("--dampening", type=float, help="SGD; 0 with --nesterov")
    group.add_argument("--weight_decay", type=float, help="(default: %(default)s)")
    group.add_argument("--nesterov", action="store_true", help="Nesterov momentum")
    group.add_argument("--optimizer", choices=("sgd", "adamw"), help="(default: sgd)")
    group.add_argument(
        "--lr_scheduler",
        choices=("multistep", "plateau", "cosine"),
        help="(default: %(default)s)",
    )
    group.add_argument(
        "--multistep_milestones",
        type=int,
        nargs="+",
        help="epochs after which the LR is divided by 10 (default: %(default)s)",
    )
    group.add_argument(
        "--overwrite_milestones",
        action="store_true",
        help="on resume, use these milestones instead of the checkpoint's",
    )
    group.add_argument("--plateau_patience", type=int, help="(default: %(default)s)")
    group.add_argument(
        "--warmup_epochs",
        type=float,
        help="linear LR warm-up from 0, in epochs, stepped per iteration (default: %(default)s)",
    )
    group.add_argument(
        "--head_lr_multiplier",
        type=float,
        help="the region-graph head's learning rate relative to the backbone's: a new head "
        "learns faster than the fine-tuned backbone (default: %(default)s)",
    )
    group.add_argument("--batch_size", type=int, help="clips per step (default: %(default)s)")
    group.add_argument(
        "--accumulate_steps",
        type=int,
        help="batches whose gradients are summed before each optimiser step (default: 1)",
    )
    group.add_argument(
        "--inference_batch_size",
        type=int,
        help="videos per inference batch; 0: --batch_size (default: %(default)s)",
    )
    group.add_argument("--batchnorm_sync", action="store_true", help="SyncBatchNorm (distributed)")
    group.add_argument(
        "--freeze_bn", action="store_true", help="BatchNorm in eval mode with frozen affine weights"
    )
    group.add_argument("--n_epochs", type=int, help="last epoch (default: %(default)s)")
    group.add_argument(
        "--n_val_samples", type=int, help="clips per video in validation (default: 3)"
    )
    group.add_argument(
        "--amp",
        choices=("none", "bf16", "fp16"),
        help="mixed precision: bf16 (CPU or GPU) or fp16 (GPU only) (default: %(default)s)",
    )


def _speed(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "speed (training and inference; the weights and checkpoints are the same without them)"
    )
    group.add_argument(
        "--channels_last",
        action="store_true",
        help="model and clips in the channels_last_3d memory format (faster convolutions on "
        "recent CPUs and on GPUs, above all with --amp)",
    )
    group.add_argument(
        "--compile",
        action="store_true",
        help="torch.compile the model (the first batches take longer: it compiles per shape and "
        "for training and evaluation)",
    )
    group.add_argument(
        "--compile_mode",
        choices=COMPILE_MODES,
        help="torch.compile's mode, with --compile (default: %(default)s)",
    )


def _run_control(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("run control")
    group.add_argument("--resume_path", type=Path, help="checkpoint to resume from")
    group.add_argument("--no_train", action="store_true", help="skip training")
    group.add_argument("--no_val", action="store_true", help="skip validation")
    group.add_argument("--inference", action="store_true", help="run inference after the epochs")
    group.add_argument(
        "--inference_subset",
        choices=("train", "val", "test"),
        help="subset for inference, written to <subset>.json (default: %(default)s)",
    )
    group.add_argument("--inference_stride", type=int, help="sliding-window stride in frames")
    group.add_argument(
        "--inference_crop",
        choices=("center", "three", "nocrop"),
        help="spatial views in inference: a centre crop, three crops along the long side, or "
        "the whole frame with the short side at --sample_size (default: center)",
    )
    group.add_argument(
        "--n_test_clips",
        type=int,
        help="temporal clips per video in inference, evenly spread; 0: a sliding window of "
        "--inference_stride (dense sampling) or one clip (segment sampling) (default: 0)",
    )
    group.add_argument(
        "--inference_no_average", action="store_true", help="one result per clip, not per video"
    )
    group.add_argument("--output_topk", type=int, help="labels per video; <=0: all")
    group.add_argument("--no_cuda", action="store_true", help="run on the CPU even with a GPU")
    group.add_argument("--n_threads", type=int, help="data-loader worker processes")
    group.add_argument("--checkpoint", type=int, help="save every k epochs")
    group.add_argument("--manual_seed", type=int, help="(default: %(default)s)")
    group.add_argument(
        "--deterministic",
        action="store_true",
        help="deterministic kernels (cuDNN, torch) instead of cuDNN's autotuning, which is on by "
        "default on GPUs (a warning names an operation without a deterministic kernel)",
    )
    group.add_argument(
        "--accimage",
        action="store_true",
        help="accepted for old command lines and refused: JPEG frames (folders, hdf5) are "
        "decoded by libjpeg-turbo through simplejpeg, video files by PyAV",
    )
    group.add_argument(
        "--tensorboard", action="store_true", help="TensorBoard events in result_path"
    )
    group.add_argument(
        "--wandb", action="store_true", help="log to Weights & Biases (extra 'wandb')"
    )


def _distribution(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "distribution (all visible GPUs by default; choose them with CUDA_VISIBLE_DEVICES)"
    )
    group.add_argument(
        "--distributed",
        action="store_true",
        help="one process per device: started by main.py itself (--nproc_per_node) or by "
        "torchrun --nproc_per_node=K main.py --distributed ...",
    )
    group.add_argument(
        "--nproc_per_node",
        type=int,
        help="processes main.py starts through torch's elastic launcher (gloo on the CPU, NCCL "
        "on GPUs); 0: one per visible GPU, 1: this process alone; under torchrun, checked "
        "against torchrun's (default: %(default)s)",
    )
    group.add_argument(
        "--dist_timeout",
        type=float,
        help="minutes a process waits for the others in a collective before the run fails "
        "(default: %(default)s)",
    )
    group.add_argument(
        "--dist_url",
        help="process-group init method (default: env:// under torchrun, else "
        "tcp://127.0.0.1:23456)",
    )
    group.add_argument(
        "--world_size",
        type=int,
        help="number of nodes, checked against the launcher's when given (default: -1)",
    )


def build_parser(*, suppress_defaults: bool = False) -> argparse.ArgumentParser:
    """The ``main.py`` parser; with ``suppress_defaults`` one whose result holds only the flags
    the command line gives (:func:`given_flags`)."""
    parser = argparse.ArgumentParser(
        prog=prog("train", "python main.py"),
        description="Train, validate and run inference with 3D CNNs and Space-Time Region Graphs.",
        argument_default=argparse.SUPPRESS if suppress_defaults else None,
    )
    for add in (
        _paths,
        _dataset,
        _input,
        _normalisation,
        add_model_options,
        add_region_graph_options,
        _optimisation,
        _speed,
        _run_control,
        _distribution,
    ):
        add(parser)
    if not suppress_defaults:
        # Every default is declared once, by the configuration (strg.config).
        parser.set_defaults(**option_defaults())
        _show_defaults(parser)
    return parser


def _show_defaults(parser: argparse.ArgumentParser) -> None:
    """Append ``(default: X)`` to every help that does not state its default yet, so that ``-h``
    shows what an option left out means (flags and empty defaults say nothing)."""
    for action in parser._actions:
        default = action.default
        # `is`, not `in`: 0 is a default worth showing, and 0 == False
        unstated = any(default is nothing for nothing in (None, argparse.SUPPRESS, False))
        if unstated or default == "" or action.help in (None, argparse.SUPPRESS):
            continue
        if "default" in action.help:
            continue
        action.help += " (default: %(default)s)"


def given_flags(argv: list[str] | None = None) -> set[str]:
    """The options (by ``dest``) that ``argv`` sets, whether or not to their default value."""
    return set(vars(build_parser(suppress_defaults=True).parse_args(argv)))


def check_options(options: argparse.Namespace | dict) -> list[str]:
    """Contradictory or impossible combinations, each as a message naming the flags
    (:func:`strg.config_checks.contradictions`)."""
    return contradictions(options if isinstance(options, dict) else vars(options))


def parse_options(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse and check ``argv``; a contradiction exits with a usage error naming the flags."""
    parser = build_parser()
    args = parser.parse_args(argv)
    errors = check_options(args)
    if errors:
        parser.error("; ".join(errors))
    return args
