"""The composition root of ``main.py``: the only place that sees every option.

It resolves paths, builds the model, data and optimiser from the options, then runs the epochs
(train → validate → schedule → checkpoint) and inference, as 3D-ResNets-PyTorch does, with its
traps removed: the result directory is created, ``opts.json`` records what really ran, logs are
appended on resume, a resume follows the uninterrupted schedule exactly, and checkpoints are
written atomically after the epoch is complete.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from strg.atomic import write_json_atomic
from strg.data.builder import build_video_dataset
from strg.data.loader import build_loader
from strg.data.normalization import mean_std
from strg.engine.checkpoint import (
    check_arch,
    checkpoint_path,
    load_checkpoint,
    save_checkpoint,
)
from strg.engine.distributed import Process, barrier, setup_process, teardown
from strg.engine.errors import RunError
from strg.engine.logs import TRAIN_BATCH_COLUMNS, TRAIN_COLUMNS, VAL_COLUMNS, TableLogger
from strg.engine.loops import Precision, infer, train_epoch, validate_epoch
from strg.engine.model_setup import arch_name, build_run_model, load_exactly, uses_strg
from strg.engine.optim import build_optimizer, frozen_modules
from strg.engine.result_file import write_result_file
from strg.engine.schedule import LearningRateSchedule
from strg.engine.tracking import Tracker
from strg.models.state_dict import read_state_dict

PATH_OPTIONS = (
    "video_path",
    "annotation_path",
    "result_path",
    "resume_path",
    "pretrain_path",
    "proposal_path",
)
#: Frame-file layout per data set (strg.structures.FRAME_NAME_PATTERNS).
FRAME_PATTERNS = {"somethingv1": "sthv1", "somethingv2": "sthv2", "charades": "charades"}
SOMETHING = ("somethingv1", "somethingv2")
INFERENCE_SUBSETS = {"train": "training", "val": "validation", "test": "testing"}


def resolve_paths(args: argparse.Namespace) -> argparse.Namespace:
    """A copy of ``args`` with every path joined onto ``--root_path`` (an absolute one wins)."""
    resolved = argparse.Namespace(**vars(args))
    if args.root_path is not None:
        for name in PATH_OPTIONS:
            value = getattr(args, name)
            if value is not None:
                setattr(resolved, name, args.root_path / value)
    return resolved


def data_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The data options that follow from the data set: frame names, sampling, flips, labels."""
    something = args.dataset in SOMETHING
    return {
        "file_type": args.file_type,
        "input_type": args.input_type,
        "frame_pattern": FRAME_PATTERNS.get(args.dataset, "image"),
        "sample_size": args.sample_size,
        "sample_duration": args.sample_duration,
        "sample_t_stride": args.sample_t_stride,
        "temporal_sampling": args.temporal_sampling or ("segment" if something else "dense"),
        "train_crop": args.train_crop,
        "train_crop_min_scale": args.train_crop_min_scale,
        "train_crop_min_ratio": args.train_crop_min_ratio,
        # Something-Something has left/right classes: no plain flip there.
        "no_hflip": args.no_hflip or (something and not args.hflip_swap_labels),
        "flip_swap_labels": args.hflip_swap_labels,
        "colorjitter": args.colorjitter,
        "train_t_crop": args.train_t_crop,
        "n_val_samples": args.n_val_samples,
        "inference_stride": args.inference_stride,
        "n_test_clips": args.n_test_clips,
        "inference_crop": args.inference_crop,
        "mean_dataset": args.mean_dataset,
        "no_mean_norm": args.no_mean_norm,
        "no_std_norm": args.no_std_norm,
        "value_scale": args.value_scale,
        "proposal_path": args.proposal_path if uses_strg(args) else None,
        "nrois": args.nrois,
        "multi_label": args.dataset == "charades",
        "skip_missing": args.skip_missing,
        "seed": args.manual_seed,
    }


def _json_ready(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _require(args: argparse.Namespace, *names: str) -> None:
    missing = [f"--{name}" for name in names if getattr(args, name) is None]
    if missing:
        raise RunError(f"{', '.join(missing)} must be given")


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def run(args: argparse.Namespace, defaults: argparse.Namespace) -> int:
    """Run ``main.py`` with parsed ``args`` (``defaults``: the parser's defaults)."""
    args = resolve_paths(args)
    _require(args, "video_path", "annotation_path", "result_path")
    process = setup_process(args.distributed, args.no_cuda, args.dist_url, args.world_size)
    try:
        return _run(args, defaults, process)
    finally:
        teardown(process)


def _run(args: argparse.Namespace, defaults: argparse.Namespace, process: Process) -> int:
    _seed_everything(args.manual_seed)
    if args.amp == "fp16" and process.device.type != "cuda":
        raise RunError("--amp fp16 needs a GPU; on the CPU use --amp bf16")
    if args.batchnorm_sync and process.device.type != "cuda":
        raise RunError("--batchnorm_sync needs GPUs: SyncBatchNorm has no CPU implementation")
    if process.is_main:
        args.result_path.mkdir(parents=True, exist_ok=True)
    barrier(process)
    settings = data_settings(args)
    n_input_channels = 2 if args.input_type == "flow" else 3
    model = build_run_model(args, defaults, args.n_classes, n_input_channels, args.pretrain_path)
    temporal_stride = _temporal_stride(model, args)
    begin_epoch, checkpoint = 1, None
    if args.resume_path is not None:
        checkpoint = load_checkpoint(args.resume_path)
        check_arch(args.resume_path, checkpoint, arch_name(args))
        load_exactly(model, read_state_dict(checkpoint), args.resume_path, "--n_classes")
        begin_epoch = int(checkpoint.get("epoch", 0)) + 1
    eval_modules = frozen_modules(model, args.ft_begin_module, args.freeze_bn)
    model.to(process.device)
    if args.batchnorm_sync:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    network = model
    if process.distributed:
        network = nn.parallel.DistributedDataParallel(
            model,
            device_ids=[process.device] if process.device.type == "cuda" else None,
            find_unused_parameters=uses_strg(args),
        )
    precision = Precision(process.device, args.amp)
    batch_size = max(args.batch_size // process.world_size, 1)
    mean, std = mean_std(
        args.mean_dataset, args.no_mean_norm, args.no_std_norm, args.value_scale, n_input_channels
    )
    if process.is_main:
        _write_opts(args, begin_epoch, mean, std, n_input_channels, process, batch_size)

    train_loader = val_loader = None
    if not args.no_train:
        built = build_video_dataset(
            "train",
            args.annotation_path,
            args.video_path,
            temporal_stride=temporal_stride,
            **settings,
        )
        _report_skipped(built, process)
        train_loader = build_loader(
            built.dataset, batch_size, shuffle=True, seed=args.manual_seed,
            # a last batch of one clip would break BatchNorm; every process steps alike
            n_threads=args.n_threads, drop_last=True,
            num_replicas=process.world_size, rank=process.rank, device=process.device,
        )  # fmt: skip
    if not args.no_val:
        built = build_video_dataset(
            "val",
            args.annotation_path,
            args.video_path,
            temporal_stride=temporal_stride,
            **settings,
        )
        _report_skipped(built, process)
        val_loader = build_loader(
            built.dataset, max(batch_size // args.n_val_samples, 1), shuffle=False,
            seed=args.manual_seed, n_threads=args.n_threads,
            num_replicas=process.world_size, rank=process.rank, device=process.device,
        )  # fmt: skip

    tracker = Tracker(args, process, begin_epoch)
    if train_loader is not None:
        optimizer = build_optimizer(
            network, args.optimizer, args.learning_rate, args.momentum, args.dampening,
            args.weight_decay, args.nesterov,
        )  # fmt: skip
        schedule = LearningRateSchedule(
            base_lr=args.learning_rate, kind=args.lr_scheduler,
            milestones=args.multistep_milestones, n_epochs=args.n_epochs,
            warmup_epochs=args.warmup_epochs, plateau_patience=args.plateau_patience,
            iterations_per_epoch=-(-len(train_loader) // args.accumulate_steps),
        )  # fmt: skip
        scaler = torch.amp.GradScaler("cuda") if args.amp == "fp16" else None
        if checkpoint is not None:
            _restore_training_state(checkpoint, optimizer, schedule, scaler, args)
        logs = _open_logs(args, process, begin_epoch if checkpoint is not None else None)
        for epoch in range(begin_epoch, args.n_epochs + 1):
            train_loader.sampler.set_epoch(epoch)
            result = train_epoch(
                network, train_loader, optimizer, schedule, epoch, process, precision,
                scaler=scaler, accumulate_steps=args.accumulate_steps, eval_modules=eval_modules,
                batch_log=logs.get("train_batch"),
            )  # fmt: skip
            lr = schedule.rate(epoch)
            validation = None
            if val_loader is not None:
                validation = validate_epoch(network, val_loader, epoch, process, precision)
            schedule.end_epoch(validation.loss if validation is not None else None)
            if process.is_main:
                logs["train"].log(epoch=epoch, loss=result.loss, acc=result.accuracy, lr=lr)
                if validation is not None:
                    logs["val"].log(epoch=epoch, loss=validation.loss, acc=validation.accuracy)
                tracker.log_epoch(epoch, result, validation, lr)
                print(
                    f"epoch {epoch}: train loss {result.loss:.4f} acc {result.accuracy:.4f} lr "
                    f"{lr:.3g}"
                    + (
                        f" | val loss {validation.loss:.4f} acc {validation.accuracy:.4f}"
                        if validation is not None
                        else ""
                    ),
                    flush=True,
                )
                if epoch % args.checkpoint == 0 or epoch == args.n_epochs:
                    save_checkpoint(
                        checkpoint_path(args.result_path, epoch),
                        _checkpoint(args, epoch, model, optimizer, schedule, scaler),
                    )
            barrier(process)
        for logger in logs.values():
            logger.close()
    elif val_loader is not None:
        epoch = begin_epoch - 1
        validation = validate_epoch(network, val_loader, epoch, process, precision)
        if process.is_main:
            print(f"validation: loss {validation.loss:.4f} acc {validation.accuracy:.4f}")
    tracker.close()

    if args.inference:
        _inference(args, network, settings, temporal_stride, precision, process)
    return 0


def _temporal_stride(model: nn.Module, args: argparse.Namespace) -> int:
    if not uses_strg(args):
        return 1
    stride = int(model.backbone.temporal_stride)
    if args.det_interval is not None and args.det_interval != stride:
        raise RunError(
            f"--det_interval {args.det_interval}: boxes are read once per feature step, every "
            f"{stride} frames for --model {args.model}; drop the flag or pass {stride}"
        )
    return stride


def _report_skipped(built, process: Process) -> None:
    if built.records.skipped and process.is_main:
        print(built.summary(), flush=True)


def _write_opts(args, begin_epoch, mean, std, n_input_channels, process, batch_size) -> None:
    config = {name: _json_ready(value) for name, value in vars(args).items()}
    config.update(
        arch=arch_name(args),
        begin_epoch=begin_epoch,
        mean=list(mean),
        std=list(std),
        n_input_channels=n_input_channels,
        device=str(process.device),
        world_size=process.world_size,
        batch_size_per_process=batch_size,
        strg=uses_strg(args),
    )
    write_json_atomic(args.result_path / "opts.json", config, indent=2)


def _open_logs(args, process: Process, resume_epoch: int | None) -> dict[str, TableLogger]:
    if not process.is_main:
        return {}
    kept = None if resume_epoch is None else resume_epoch - 1
    logs = {
        "train": TableLogger(args.result_path / "train.log", TRAIN_COLUMNS, kept),
        "train_batch": TableLogger(args.result_path / "train_batch.log", TRAIN_BATCH_COLUMNS, kept),
    }
    if not args.no_val:
        logs["val"] = TableLogger(args.result_path / "val.log", VAL_COLUMNS, kept)
    return logs


def _checkpoint(args, epoch, model, optimizer, schedule, scaler) -> dict[str, Any]:
    return {
        "epoch": epoch,
        "arch": arch_name(args),
        "state_dict": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": schedule.state_dict(),
        "scaler": scaler.state_dict() if scaler is not None else None,
        "rng": {"torch": torch.get_rng_state()},
        "config": json.loads(json.dumps({k: _json_ready(v) for k, v in vars(args).items()})),
    }


def _restore_training_state(checkpoint, optimizer, schedule, scaler, args) -> None:
    if "optimizer" in checkpoint:
        try:
            optimizer.load_state_dict(checkpoint["optimizer"])
        except ValueError as error:
            raise RunError(
                f"{args.resume_path}: its optimiser state does not fit this run ({error}); resume "
                "with the options it was trained with (--ft_begin_module, --freeze_bn, "
                "--optimizer, ...)"
            ) from error
    if isinstance(checkpoint.get("scheduler"), dict) and "plateau_best" in checkpoint["scheduler"]:
        schedule.load_state_dict(checkpoint["scheduler"], args.overwrite_milestones)
    if scaler is not None and checkpoint.get("scaler"):
        scaler.load_state_dict(checkpoint["scaler"])
    if "rng" in checkpoint:
        torch.set_rng_state(checkpoint["rng"]["torch"])


def _inference(args, network, settings, temporal_stride, precision, process: Process) -> None:
    if not process.is_main:  # one process writes the result file
        barrier(process)
        return
    subset = INFERENCE_SUBSETS[args.inference_subset]
    built = build_video_dataset(
        "inference", args.annotation_path, args.video_path, subset=subset,
        temporal_stride=temporal_stride, **settings,
    )  # fmt: skip
    _report_skipped(built, process)
    loader = build_loader(
        built.dataset, args.inference_batch_size or args.batch_size, shuffle=False,
        seed=args.manual_seed, n_threads=args.n_threads, device=process.device,
    )  # fmt: skip
    model = network.module if isinstance(network, nn.parallel.DistributedDataParallel) else network
    scores = infer(model, loader, process, precision, multi_label=args.dataset == "charades")
    path = args.result_path / f"{args.inference_subset}.json"
    write_result_file(
        path, scores, built.records.class_names, args.output_topk, args.inference_no_average
    )
    print(f"inference: {len(scores.videos)} videos -> {path}", flush=True)
    barrier(process)
