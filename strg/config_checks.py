"""The checks across ``main.py`` flags: contradictions and impossible values, each a message.

:func:`strg.config.build_config` refuses a configuration with any of them, and the option parser
turns them into one usage error; both call :func:`contradictions`, the one list of the rules.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from strg.models.names import has_region_graph


def _positive(options: Mapping[str, Any], names: tuple[str, ...], minimum: int = 1) -> list[str]:
    return [
        f"--{name} must be >= {minimum}, got {options[name]}"
        for name in names
        if options[name] < minimum
    ]


def contradictions(options: Mapping[str, Any]) -> list[str]:
    """Contradictory or impossible combinations of ``options``, each a message naming the flags."""
    o = options
    errors = _positive(
        o,
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
            "roi_output_size",
            "n_classes",
        ),
    )
    errors += _positive(
        o, ("inference_batch_size", "n_test_clips", "n_threads", "nproc_per_node"), minimum=0
    )
    if o["dist_timeout"] <= 0:
        errors.append(f"--dist_timeout must be > 0 minutes, got {o['dist_timeout']}")
    if o["warmup_epochs"] < 0:
        errors.append(f"--warmup_epochs must be >= 0, got {o['warmup_epochs']}")
    if o["lr_scheduler"] == "plateau" and o["no_val"]:
        errors.append("--lr_scheduler plateau steps on the validation loss: drop --no_val")
    if o["batchnorm_sync"] and not o["distributed"]:
        errors.append("--batchnorm_sync needs --distributed")
    if o["world_size"] != -1 and not o["distributed"]:
        errors.append("--world_size needs --distributed")
    if o["input_type"] == "flow" and o["file_type"] != "hdf5":
        errors.append("--input_type flow needs --file_type hdf5")
    if (o["pretrain_path"] is None) != (o["n_pretrain_classes"] == 0):
        errors.append("--pretrain_path and --n_pretrain_classes go together")
    if o["pretrain_format"] != "auto" and o["pretrain_path"] is None:
        errors.append("--pretrain_format names the format of --pretrain_path: give the file")
    for name, flag in (("mean", "no_mean_norm"), ("std", "no_std_norm")):
        if o[name] is not None and o[flag]:
            errors.append(f"--{name} and --{flag} contradict each other: drop one")
    if o["std"] is not None and any(value <= 0 for value in o["std"]):
        errors.append(f"--std must be > 0, got {' '.join(str(v) for v in o['std'])}")
    if o["keep_classifier"] and o["pretrain_path"] is None:
        errors.append("--keep_classifier needs --pretrain_path (the classifier to keep)")
    elif o["keep_classifier"] and o["n_pretrain_classes"] != o["n_classes"]:
        errors.append(
            f"--keep_classifier keeps a {o['n_pretrain_classes']}-class classifier: "
            f"--n_classes must be {o['n_pretrain_classes']}, got {o['n_classes']}"
        )
    if o["ft_begin_module"] and o["pretrain_path"] is None:
        errors.append("--ft_begin_module needs --pretrain_path (it freezes pretrained modules)")
    strg = has_region_graph(o["model"], o["strg"])
    if strg and o["proposal_path"] is None:
        errors.append(
            "--strg needs --proposal_path (the boxes, from extract_proposals/import_boxes)"
        )
    if o["proposal_path"] is not None and not strg:
        errors.append("--proposal_path is only read with --strg")
    if o["hflip_swap_labels"] and o["no_hflip"]:
        errors.append("--hflip_swap_labels flips clips: drop --no_hflip")
    if o["compile_mode"] != "default" and not o["compile"]:
        errors.append(f"--compile_mode {o['compile_mode']} needs --compile")
    if o["overwrite_milestones"] and o["resume_path"] is None:
        errors.append("--overwrite_milestones needs --resume_path")
    if o["no_train"] and o["no_val"] and not o["inference"]:
        errors.append("--no_train --no_val without --inference leaves nothing to do")
    if o["head_lr_multiplier"] <= 0:
        errors.append(f"--head_lr_multiplier must be > 0, got {o['head_lr_multiplier']}")
    elif o["head_lr_multiplier"] != 1 and not strg:
        errors.append("--head_lr_multiplier scales the region-graph head's rate: add --strg")
    if o["global_from_backbone"] and o["no_global"]:
        errors.append("--global_from_backbone is the global branch: drop --no_global")
    for name in ("global_dropout", "graph_dropout"):
        if not 0 <= o[name] < 1:
            errors.append(f"--{name} must be in [0, 1), got {o[name]}")
    if o["frame_pattern"] is not None:
        from strg.structures import frame_name_template  # imports torch: only when it is given

        try:
            frame_name_template(o["frame_pattern"])
        except ValueError as error:
            errors.append(f"--frame_pattern: {error}")
    if o["accimage"]:
        errors.append(
            "--accimage is not supported: JPEG frames are decoded by libjpeg-turbo through "
            "simplejpeg, video files by PyAV"
        )
    for name in ("learning_rate", "weight_decay", "momentum", "dampening"):
        if not (math.isfinite(o[name]) and o[name] >= 0):  # NaN compares False, so it lands here
            errors.append(f"--{name} must be a finite number >= 0, got {o[name]}")
    if o["input_type"] == "flow" and o["colorjitter"]:
        errors.append("--colorjitter jitters colours: it does not apply to --input_type flow")
    if o["amp"] == "fp16" and o["no_cuda"]:
        errors.append("--amp fp16 needs a GPU (on the CPU it is ~100x slower): use --amp bf16")
    return errors
