"""The composition root of ``main.py``: the one place that sees the whole :class:`RunConfig`.

It builds the model, data, optimiser and logs from the configuration and hands them to the epoch
loop (:mod:`strg.engine.epochs`) and to inference, as 3D-ResNets-PyTorch does, with its traps
removed: the result directory is created, ``opts.json`` records what really ran, logs are appended
on resume, a resume follows the uninterrupted schedule exactly, and checkpoints are written
atomically after the epoch is complete.
"""

from __future__ import annotations

import random
import sys
from typing import Any

import numpy as np
import torch
from torch import nn

from strg.atomic import write_json_atomic
from strg.config import RunConfig, config_to_dict, with_pretrained
from strg.data.builder import BuiltDataset, build_video_dataset
from strg.data.loader import VideoLoader, build_loader
from strg.engine.backends import configure_kernels
from strg.engine.checkpoint import check_arch, load_checkpoint
from strg.engine.distributed import Process, barrier, gather_to_main, setup_process, teardown
from strg.engine.epochs import Trainer, run_epochs
from strg.engine.errors import RunError
from strg.engine.logs import TRAIN_BATCH_COLUMNS, TRAIN_COLUMNS, VAL_COLUMNS, TableLogger
from strg.engine.loops import Precision, VideoScores, infer, merge_scores, validate_epoch
from strg.engine.model_setup import build_run_model, feature_step, load_resumed_weights
from strg.engine.optim import build_optimizer, frozen_modules
from strg.engine.result_file import write_result_file
from strg.engine.result_lock import claim_result_path
from strg.engine.run_checks import check_training_batches, class_count_warning
from strg.engine.schedule import LearningRateSchedule
from strg.engine.skips import SkipLog
from strg.engine.speed import compiled, to_channels_last
from strg.engine.tracking import Tracker
from strg.models.pretrained import PretrainedWeights
from strg.structures import SUBSETS


def run(config: RunConfig) -> int:
    """Run ``main.py`` as ``config`` says; returns the exit status."""
    distribution = config.distribution
    process = setup_process(
        distribution.distributed,
        config.control.no_cuda,
        distribution.dist_url,
        distribution.world_size,
        timeout_minutes=distribution.dist_timeout,
    )
    lock = None
    try:
        if process.is_main:  # one lock per run: rank 0's (the other ranks write nothing)
            lock = claim_result_path(config.paths.result_path)
        return _run(config, process)
    finally:
        if lock is not None:
            lock.release()
        teardown(process)


def _run(config: RunConfig, process: Process) -> int:
    _check_device(config, process)
    configure_kernels(process.device, config.control.deterministic)
    _seed_everything(config.control.manual_seed)
    paths, control, optimisation = config.paths, config.control, config.optimisation
    barrier(process)  # rank 0 has created the result folder
    channels = config.data.n_input_channels
    model, pretrained = build_run_model(
        config.model, config.fine_tuning, channels, paths.pretrain_path
    )
    if pretrained is not None:
        config = with_pretrained(config, pretrained.format, pretrained.mean, pretrained.std)
        if process.is_main:
            _report_pretrained(config, pretrained)
    temporal_stride = feature_step(model, config.model)
    begin_epoch, checkpoint = 1, None
    if paths.resume_path is not None:
        checkpoint = load_checkpoint(paths.resume_path)
        check_arch(paths.resume_path, checkpoint, config.model.arch)
        load_resumed_weights(model, checkpoint, paths.resume_path)
        begin_epoch = int(checkpoint.get("epoch", 0)) + 1
    eval_modules = frozen_modules(
        model, config.fine_tuning.ft_begin_module, config.fine_tuning.freeze_bn
    )
    network = _place(model, config, process)
    precision = Precision(process.device, optimisation.amp, optimisation.channels_last)
    batch_size = max(optimisation.batch_size // process.world_size, 1)
    if process.is_main:
        _write_opts(config, begin_epoch, process, batch_size)

    train_loader = val_loader = None
    if not control.no_train:
        train_loader = _loader(config, "train", temporal_stride, batch_size, process)
        check_training_batches(
            len(train_loader), optimisation.batch_size, len(train_loader.dataset), "training"
        )
    if not control.no_val:
        val_batch = max(batch_size // config.data.n_val_samples, 1)
        val_loader = _loader(config, "val", temporal_stride, val_batch, process)

    tracker = Tracker(
        paths.result_path, process, begin_epoch, tensorboard=control.tensorboard,
        wandb=control.wandb, config=config_to_dict(config),
    )  # fmt: skip
    skip_log = SkipLog(paths.result_path, process, None if checkpoint is None else begin_epoch - 1)
    if train_loader is not None:
        _train(config, model, network, train_loader, val_loader, checkpoint, begin_epoch,
               eval_modules, precision, process, tracker, skip_log)  # fmt: skip
    elif val_loader is not None:
        validation = validate_epoch(network, val_loader, begin_epoch - 1, process, precision)
        skip_log.report(begin_epoch - 1, "validation", val_loader.skipped)
        if process.is_main:
            print(f"validation: loss {validation.loss:.4f} acc {validation.accuracy:.4f}")
    tracker.close()

    if control.inference:
        _inference(config, network, temporal_stride, precision, process, skip_log, begin_epoch - 1)
    skip_log.close()
    return 0


def _report_pretrained(config: RunConfig, pretrained: PretrainedWeights) -> None:
    """One line on the weights read, one per note, and the normalisation the run uses."""
    normalization = config.data.normalization()
    print(
        f"pretrained: {config.paths.pretrain_path} read as {pretrained.format}; normalisation "
        f"mean {[round(v, 5) for v in normalization.mean]} std "
        f"{[round(v, 5) for v in normalization.std]}",
        flush=True,
    )
    for note in pretrained.notes:
        print(f"pretrained: note: {note}", flush=True)


def _check_device(config: RunConfig, process: Process) -> None:
    if config.optimisation.amp == "fp16" and process.device.type != "cuda":
        raise RunError("--amp fp16 needs a GPU; on the CPU use --amp bf16")
    if config.optimisation.batchnorm_sync and process.device.type != "cuda":
        raise RunError("--batchnorm_sync needs GPUs: SyncBatchNorm has no CPU implementation")


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _place(model: nn.Module, config: RunConfig, process: Process) -> nn.Module:
    """The network that runs: the model on its device, in channels_last_3d, with SyncBatchNorm,
    torch.compile and DDP when asked for. ``model`` itself stays unwrapped (the checkpoints save
    it: no ``_orig_mod.`` or ``module.`` prefix)."""
    optimisation = config.optimisation
    model.to(process.device)
    if optimisation.channels_last:
        to_channels_last(model)
    if optimisation.batchnorm_sync:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    network = compiled(model, optimisation.compile_mode) if optimisation.compile else model
    if not process.distributed:
        return network
    return nn.parallel.DistributedDataParallel(
        network,
        device_ids=[process.device] if process.device.type == "cuda" else None,
        find_unused_parameters=config.model.strg,
    )


def _dataset(
    config: RunConfig, phase: str, temporal_stride: int, process: Process, subset: str | None = None
) -> BuiltDataset:
    built = build_video_dataset(
        phase,
        config.paths.annotation_path,
        config.paths.video_path,
        subset,
        config.data,
        proposal_path=config.proposal_path,
        temporal_stride=temporal_stride,
    )
    if built.records.skipped and process.is_main:
        print(built.summary(), flush=True)
    warning = class_count_warning(
        config.model.n_classes, built.records.class_names, config.paths.annotation_path,
        config.data.multi_label,
    )  # fmt: skip
    if warning is not None and process.is_main and phase == _first_phase(config):
        print(warning, file=sys.stderr, flush=True)
    return built


def _first_phase(config: RunConfig) -> str:
    """The phase whose data set is read first (the one that prints the data's warnings)."""
    if not config.control.no_train:
        return "train"
    return "val" if not config.control.no_val else "inference"


def _loader(
    config: RunConfig, phase: str, temporal_stride: int, batch_size: int, process: Process
) -> VideoLoader:
    """The distributed-aware loader of ``train`` or ``val``."""
    training = phase == "train"
    return build_loader(
        _dataset(config, phase, temporal_stride, process).dataset, batch_size, shuffle=training,
        seed=config.control.manual_seed, n_threads=config.control.n_threads,
        # a last batch of one clip would break BatchNorm; every process steps alike
        drop_last=training,
        num_replicas=process.world_size, rank=process.rank, device=process.device,
    )  # fmt: skip


def _write_opts(config: RunConfig, begin_epoch: int, process: Process, batch_size: int) -> None:
    normalization = config.data.normalization()
    opts = config_to_dict(config)
    opts.update(
        arch=config.model.arch,
        begin_epoch=begin_epoch,
        mean=list(normalization.mean),
        std=list(normalization.std),
        n_input_channels=config.data.n_input_channels,
        device=str(process.device),
        world_size=process.world_size,
        batch_size_per_process=batch_size,
    )
    write_json_atomic(config.paths.result_path / "opts.json", opts, indent=2)


def _train(
    config: RunConfig,
    model: nn.Module,
    network: nn.Module,
    train_loader: VideoLoader,
    val_loader: VideoLoader | None,
    checkpoint: dict[str, Any] | None,
    begin_epoch: int,
    eval_modules: list[nn.Module],
    precision: Precision,
    process: Process,
    tracker: Tracker,
    skip_log: SkipLog,
) -> None:
    o = config.optimisation
    groups = None
    if config.model.strg and o.head_lr_multiplier != 1:  # the new head learns faster
        groups = model.parameter_groups(o.learning_rate, o.head_lr_multiplier)
    optimizer = build_optimizer(
        network, o.optimizer, o.learning_rate, o.momentum, o.dampening, o.weight_decay,
        o.nesterov, groups,
    )  # fmt: skip
    schedule = LearningRateSchedule(
        base_lr=o.learning_rate, kind=o.lr_scheduler, milestones=list(o.multistep_milestones),
        n_epochs=o.n_epochs, warmup_epochs=o.warmup_epochs, plateau_patience=o.plateau_patience,
        iterations_per_epoch=-(-len(train_loader) // o.accumulate_steps),
        group_scales=[group["lr"] / o.learning_rate for group in optimizer.param_groups]
        if groups is not None else [],
    )  # fmt: skip
    scaler = torch.amp.GradScaler("cuda") if o.amp == "fp16" else None
    if checkpoint is not None:
        _restore_training_state(config, checkpoint, optimizer, schedule, scaler)
    logs = _open_logs(config, process, begin_epoch if checkpoint is not None else None)
    trainer = Trainer(
        network, optimizer, schedule, precision, process, scaler, o.accumulate_steps, eval_modules
    )

    def checkpoint_of(epoch: int) -> dict[str, Any]:
        return {
            "epoch": epoch,
            "arch": config.model.arch,
            "state_dict": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": schedule.state_dict(),
            "scaler": scaler.state_dict() if scaler is not None else None,
            "rng": {"torch": torch.get_rng_state()},
            "config": config_to_dict(config),
            # the annotation's labels by class index, so that predict names the classes
            "class_names": train_loader.dataset.class_names,
        }

    run_epochs(
        trainer, train_loader, val_loader, range(begin_epoch, o.n_epochs + 1), logs, tracker,
        config.paths.result_path, config.control.checkpoint, checkpoint_of, skip_log,
    )  # fmt: skip
    for logger in logs.values():
        logger.close()


def _open_logs(
    config: RunConfig, process: Process, resume_epoch: int | None
) -> dict[str, TableLogger]:
    if not process.is_main:
        return {}
    result_path = config.paths.result_path
    kept = None if resume_epoch is None else resume_epoch - 1
    logs = {
        "train": TableLogger(result_path / "train.log", TRAIN_COLUMNS, kept),
        "train_batch": TableLogger(result_path / "train_batch.log", TRAIN_BATCH_COLUMNS, kept),
    }
    if not config.control.no_val:
        logs["val"] = TableLogger(result_path / "val.log", VAL_COLUMNS, kept)
    return logs


def _restore_training_state(config, checkpoint, optimizer, schedule, scaler) -> None:
    if "optimizer" in checkpoint:
        try:
            optimizer.load_state_dict(checkpoint["optimizer"])
        except ValueError as error:
            raise RunError(
                f"{config.paths.resume_path}: its optimiser state does not fit this run "
                f"({error}); resume with the options it was trained with (--ft_begin_module, "
                "--freeze_bn, --optimizer, ...)"
            ) from error
    if isinstance(checkpoint.get("scheduler"), dict) and "plateau_best" in checkpoint["scheduler"]:
        schedule.load_state_dict(checkpoint["scheduler"], config.optimisation.overwrite_milestones)
    if scaler is not None and checkpoint.get("scaler"):
        scaler.load_state_dict(checkpoint["scaler"])
    if "rng" in checkpoint:
        torch.set_rng_state(checkpoint["rng"]["torch"])


def _inference(
    config: RunConfig,
    network: nn.Module,
    temporal_stride: int,
    precision: Precision,
    process: Process,
    skip_log: SkipLog,
    epoch: int,
) -> None:
    """Every process scores its share of the videos; rank 0 gathers them and writes the file."""
    control = config.control
    subset = SUBSETS[control.inference_subset]
    built = _dataset(config, "inference", temporal_stride, process, subset)
    batch_size = config.optimisation.inference_batch_size or config.optimisation.batch_size
    loader = build_loader(
        built.dataset, max(batch_size // process.world_size, 1), shuffle=False,
        seed=control.manual_seed, n_threads=control.n_threads, device=process.device,
        num_replicas=process.world_size, rank=process.rank, pad=False,  # each video once
    )  # fmt: skip
    model = network.module if isinstance(network, nn.parallel.DistributedDataParallel) else network
    scores = infer(model, loader, process, precision, multi_label=config.data.multi_label)
    per_clip = control.inference_no_average
    skip_log.report(epoch, "inference", loader.skipped, gather=True)  # every rank infers
    # the clip scores travel only when they are written: per video is K numbers, per clip n·K
    parts = gather_to_main(scores if per_clip else VideoScores(videos=scores.videos), process)
    if parts is None:  # one process writes the result file
        return
    order = [record.video_id for record in built.dataset.records]
    scores = merge_scores(parts, order)
    path = config.paths.result_path / f"{control.inference_subset}.json"
    write_result_file(path, scores, built.records.class_names, control.output_topk, per_clip)
    print(f"inference: {len(scores.videos)} videos -> {path}", flush=True)
