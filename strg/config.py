"""The configuration of one ``main.py`` run: frozen dataclasses, built once, at the edge.

:func:`build_config` turns the parsed options (a mapping from flag names to values: ``vars()`` of
argparse's result, or a checkpoint's stored ``config``) into a :class:`RunConfig`; the checks that
need more than one flag (contradictions, a model flag the model does not take, missing paths)
happen there and nowhere below. Every default of ``main.py`` is declared here, or in
:class:`~strg.data.settings.DataSettings` for the data: the parser reads them from
:func:`option_defaults`.

The dict form (:func:`config_to_dict`) is flat, keyed by flag names as 3D-ResNets-PyTorch's
``opts.json`` is, plus ``config_version``; ``opts.json`` and a checkpoint's ``config`` hold it,
and :func:`config_from_dict` reads it back, older checkpoints' plain option dumps included.

This module imports nothing heavy (torch is loaded only by the model-flag check), so
``main.py -h`` and usage errors answer at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from strg.config_checks import contradictions
from strg.data.settings import DataSettings
from strg.errors import StrgError
from strg.models.names import arch_name, has_region_graph

#: The version of the dict form; 0 is the plain option dump written before it had one.
CONFIG_VERSION = 1

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
#: Data sets with left/right classes: no plain horizontal flip, segment sampling by default.
SOMETHING = ("somethingv1", "somethingv2")
#: Frame-file layout per data set (strg.structures.FRAME_NAME_PATTERNS); the rest use ``image``.
FRAME_PATTERNS = {"somethingv1": "sthv1", "somethingv2": "sthv2", "charades": "charades"}
#: Data sets whose videos carry several labels (sigmoid scores, BCE, mAP).
MULTI_LABEL = ("charades",)
#: torch.compile's modes (``--compile_mode``).
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


class ConfigError(StrgError, ValueError):
    """The options contradict each other or do not fit the model (the message names the flags)."""


@dataclass(frozen=True)
class Paths:
    """The run's files, already joined onto ``--root_path``."""

    video_path: Path | None = None
    annotation_path: Path | None = None
    result_path: Path | None = None
    resume_path: Path | None = None
    pretrain_path: Path | None = None
    proposal_path: Path | None = None


@dataclass(frozen=True)
class ModelSpec:
    """The network: ``--model`` and its flags. ``strg`` is True whenever the head is on (also for
    the ``*_strg`` names); ``nrois`` is read by the head and by the data alike."""

    model: str = "resnet"
    model_depth: int = 18
    n_classes: int = 400
    conv1_t_size: int = 7
    conv1_t_stride: int = 1
    no_max_pool: bool = False
    resnet_shortcut: str = "B"
    resnet_widen_factor: float = 1.0
    wide_resnet_k: int = 2
    resnext_cardinality: int = 32
    temporal_strides: tuple[int, ...] = (1, 2, 2, 2)
    spatial_strides: tuple[int, ...] = (1, 2, 2, 2)
    max_pool_t_stride: int = 2
    res5_stride: int | None = None  # i3d; None: the model's (2; 1 under the region graph)
    res5_dilation: int = 1
    nonlocal_blocks: bool = False
    temporal_pool_kernel: int = 3
    strg: bool = False
    nrois: int = 10
    det_interval: int | None = None
    graphs: tuple[str, ...] = ("similarity", "spatial_temporal")
    gcn_layers: int = 3
    gcn_fusion: str = "end"
    gcn_residual: bool = False
    no_global: bool = False
    reduce_dim: int = 512
    roi_output_size: int = 7
    iou_threshold: float = 0.0
    global_dropout: float = 0.3
    graph_dropout: float = 0.5
    similarity_scale: bool = False
    no_zero_init_graph: bool = False
    gcn_init_std: float = 0.001
    global_from_backbone: bool = False

    @property
    def arch(self) -> str:
        """``{model}-{depth}`` as the original writes it, ``_strg`` added for the graph head."""
        return arch_name(self.model, self.model_depth, self.strg)

    def build_options(self, n_classes: int, n_input_channels: int) -> dict[str, Any]:
        """The ``build_model`` options of this model with ``n_classes`` outputs: every flag of
        :data:`BUILD_OPTIONS` the model takes, under build_model's name."""
        from strg.models.builder import model_options

        accepted = set(model_options(self.model, self.strg))
        options: dict[str, Any] = {"n_classes": n_classes, "n_input_channels": n_input_channels}
        for flag, (name, to_build) in BUILD_OPTIONS.items():
            value = getattr(self, flag)
            if name in accepted and value is not None:  # None: the model's own default
                options[name] = to_build(value)
        return options


#: ModelSpec field -> (build_model option, value conversion). The head's options carry the names
#: of STRG's keyword parameters, the backbones' the flag names (strg.models.builder maps those).
BUILD_OPTIONS: dict[str, tuple[str, Any]] = {
    "model_depth": ("model_depth", int),
    "conv1_t_size": ("conv1_t_size", int),
    "conv1_t_stride": ("conv1_t_stride", int),
    "no_max_pool": ("no_max_pool", bool),
    "resnet_shortcut": ("resnet_shortcut", str),
    "resnet_widen_factor": ("resnet_widen_factor", float),
    "wide_resnet_k": ("wide_resnet_k", int),
    "resnext_cardinality": ("resnext_cardinality", int),
    "temporal_strides": ("temporal_strides", tuple),
    "spatial_strides": ("spatial_strides", tuple),
    "max_pool_t_stride": ("max_pool_t_stride", int),
    "res5_stride": ("res5_stride", int),
    "res5_dilation": ("res5_dilation", int),
    "nonlocal_blocks": ("nonlocal_blocks", bool),
    "temporal_pool_kernel": ("temporal_pool_kernel", int),
    "nrois": ("nrois", int),
    "reduce_dim": ("reduce_dim", int),
    "gcn_layers": ("gcn_layers", int),
    "graphs": ("graphs", tuple),
    "gcn_fusion": ("fusion", str),
    "gcn_residual": ("residual", bool),
    "no_global": ("use_global", lambda no_global: not no_global),
    "roi_output_size": ("roi_output_size", int),
    "iou_threshold": ("iou_threshold", float),
    "global_dropout": ("global_dropout", float),
    "graph_dropout": ("graph_dropout", float),
    "similarity_scale": ("similarity_scale", bool),
    "no_zero_init_graph": ("zero_init_graph", lambda no_zero_init: not no_zero_init),
    "gcn_init_std": ("gcn_init_std", lambda std: std if std > 0 else None),
    "global_from_backbone": ("global_from_backbone", bool),
}
#: ModelSpec fields holding a tuple (argparse gives lists).
_TUPLE_FIELDS = ("graphs", "temporal_strides", "spatial_strides")
#: Values a stored configuration without the key was trained with: the similarity graph had the
#: 1/√D scale before ``--similarity_scale`` existed.
LEGACY_VALUES = {"similarity_scale": True}


@dataclass(frozen=True)
class FineTuning:
    """Starting from ``--pretrain_path``: its classes and format (``auto``, resolved to the
    detected one once read), whether its classifier stays, what trains."""

    n_pretrain_classes: int = 0
    pretrain_format: str = "auto"
    keep_classifier: bool = False
    ft_begin_module: str = ""
    freeze_bn: bool = False


@dataclass(frozen=True)
class Optimisation:
    """Optimiser, schedule, batch, precision and the speed switches."""

    learning_rate: float = 0.1
    momentum: float = 0.9
    dampening: float = 0.0
    weight_decay: float = 1e-3
    nesterov: bool = False
    optimizer: str = "sgd"
    lr_scheduler: str = "multistep"
    multistep_milestones: tuple[int, ...] = (50, 100, 150)
    overwrite_milestones: bool = False
    plateau_patience: int = 10
    warmup_epochs: float = 0.0
    head_lr_multiplier: float = 1.0
    batch_size: int = 128
    accumulate_steps: int = 1
    inference_batch_size: int = 0
    batchnorm_sync: bool = False
    n_epochs: int = 200
    amp: str = "none"
    # How the network runs, not what it computes (strg.engine.speed): off, checkpoints are the same.
    channels_last: bool = False
    compile: bool = False
    compile_mode: str = "default"


@dataclass(frozen=True)
class RunControl:
    """What the run does (train, validate, infer), where, how often it saves, what it logs."""

    no_train: bool = False
    no_val: bool = False
    inference: bool = False
    inference_subset: str = "val"
    inference_no_average: bool = False
    output_topk: int = 5
    no_cuda: bool = False
    n_threads: int = 4
    checkpoint: int = 10
    manual_seed: int = 1
    deterministic: bool = False
    tensorboard: bool = False
    wandb: bool = False


@dataclass(frozen=True)
class Distribution:
    """One process per device: started by ``main.py`` itself (``nproc_per_node`` processes; 0:
    one per visible GPU) or by torchrun; a collective waits at most ``dist_timeout`` minutes."""

    distributed: bool = False
    dist_url: str | None = None
    world_size: int = -1
    nproc_per_node: int = 0
    dist_timeout: float = 30.0


@dataclass(frozen=True)
class RunConfig:
    """One run of ``main.py``; ``data`` is what the data sets of its phases are built from."""

    dataset: str = "kinetics"
    paths: Paths = field(default_factory=Paths)
    model: ModelSpec = field(default_factory=ModelSpec)
    fine_tuning: FineTuning = field(default_factory=FineTuning)
    data: DataSettings = field(default_factory=DataSettings)
    optimisation: Optimisation = field(default_factory=Optimisation)
    control: RunControl = field(default_factory=RunControl)
    distribution: Distribution = field(default_factory=Distribution)

    @property
    def proposal_path(self) -> Path | None:
        """The proposal store the data read: only under the region graph."""
        return self.paths.proposal_path if self.model.strg else None


# --------------------------------------------------------------------------------------------------
# Flags and defaults.

#: Sections whose fields are flags of the same name.
_SECTIONS = {
    "paths": Paths,
    "model": ModelSpec,
    "fine_tuning": FineTuning,
    "optimisation": Optimisation,
    "control": RunControl,
    "distribution": Distribution,
}
#: DataSettings fields that follow from the data set, the model or the pretrained weights.
_DERIVED_DATA_FIELDS = ("flip_swap_labels", "nrois", "seed", "weights_mean", "weights_std")
#: Resolved values the dict form keeps besides the flags: the pretrained weights' normalisation.
_WEIGHTS_FIELDS = ("weights_mean", "weights_std")
#: The DataSettings fields that are main.py flags, by flag name (``hflip_swap_labels`` is the
#: settings' ``flip_swap_labels``). The other fields follow from the data set and the model.
DATA_FLAGS = {
    **{f.name: f.name for f in fields(DataSettings) if f.name not in _DERIVED_DATA_FIELDS},
    "hflip_swap_labels": "flip_swap_labels",
}
#: Flags read only here: the root the paths are joined onto, and one refused outright.
_EDGE_DEFAULTS: dict[str, Any] = {"root_path": None, "accimage": False}


def option_defaults() -> dict[str, Any]:
    """Every ``main.py`` flag (by its ``dest``) with its default: the parser's defaults."""
    defaults: dict[str, Any] = {"dataset": RunConfig.dataset, **_EDGE_DEFAULTS}
    for section in _SECTIONS.values():
        defaults.update({f.name: getattr(section(), f.name) for f in fields(section)})
    settings = DataSettings()
    defaults.update({flag: getattr(settings, name) for flag, name in DATA_FLAGS.items()})
    defaults["temporal_sampling"] = None  # follows the data set: segment for Something
    defaults["frame_pattern"] = None  # follows the data set (FRAME_PATTERNS)
    # argparse keeps lists for nargs="+" options
    for name, value in defaults.items():
        if isinstance(value, tuple):
            defaults[name] = list(value)
    return defaults


def _check_model_flags(spec: ModelSpec) -> None:
    """A model flag set away from its default that the model does not take is an error."""
    from strg.models.builder import model_options

    accepted = set(model_options(spec.model, spec.strg))
    default = ModelSpec()
    for flag, (name, _) in BUILD_OPTIONS.items():
        if name not in accepted and getattr(spec, flag) != getattr(default, flag):
            raise ConfigError(f"--{flag} does not apply to --model {spec.model}")


# --------------------------------------------------------------------------------------------------
# Building, and the dict form.


def _section(cls: type, options: Mapping[str, Any], **resolved: Any) -> Any:
    values = {f.name: options[f.name] for f in fields(cls)}
    values.update(resolved)
    return cls(**values)


def resolve_paths(options: Mapping[str, Any]) -> Paths:
    """The paths of ``options`` (flag → value; missing flags take their defaults), joined onto
    ``--root_path`` when it is given (an absolute path wins)."""
    options = {**option_defaults(), **options}
    root = options["root_path"]
    values = {}
    for f in fields(Paths):
        value = options[f.name]
        if value is not None:
            value = Path(value)
            if root is not None:
                value = Path(root) / value  # an absolute value wins
        values[f.name] = value
    return Paths(**values)


def model_spec(options: Mapping[str, Any]) -> ModelSpec:
    """The :class:`ModelSpec` of ``options`` (missing flags take their defaults); a model flag
    the model does not take raises :class:`ConfigError`."""
    merged = {**option_defaults(), **options}
    strg = has_region_graph(merged["model"], merged["strg"])
    tuples = {name: tuple(merged[name]) for name in _TUPLE_FIELDS}
    spec = _section(ModelSpec, merged, strg=strg, **tuples)
    _check_model_flags(spec)
    return spec


def build_config(options: Mapping[str, Any], *, require_paths: bool = True) -> RunConfig:
    """The :class:`RunConfig` of ``options`` (flag name → value; missing flags take their
    defaults). Contradictions and model flags the model does not take raise :class:`ConfigError`;
    so do missing ``--video_path``/``--annotation_path``/``--result_path`` when
    ``require_paths``."""
    unknown = sorted(set(options) - set(option_defaults()))
    if unknown:
        raise ConfigError(f"unknown options: {', '.join(unknown)}")
    merged = {**option_defaults(), **options}
    errors = contradictions(merged)
    if errors:
        raise ConfigError("; ".join(errors))
    paths = resolve_paths(merged)
    if require_paths:
        missing = [
            f"--{name}"
            for name in ("video_path", "annotation_path", "result_path")
            if getattr(paths, name) is None
        ]
        if missing:
            raise ConfigError(f"{', '.join(missing)} must be given")
    model = model_spec(merged)
    dataset = merged["dataset"]
    something = dataset in SOMETHING
    data_flags = {name: merged[flag] for flag, name in DATA_FLAGS.items()}
    for name in ("mean", "std"):  # argparse gives lists
        if data_flags[name] is not None:
            data_flags[name] = tuple(float(value) for value in data_flags[name])
    data = DataSettings(
        **data_flags,
        nrois=model.nrois,
        seed=merged["manual_seed"],
    )
    data = replace(
        data,
        frame_pattern=merged["frame_pattern"] or FRAME_PATTERNS.get(dataset, "image"),
        # several labels per video: on for Charades, and for any data set with --multi_label
        multi_label=merged["multi_label"] or dataset in MULTI_LABEL,
        temporal_sampling=merged["temporal_sampling"] or ("segment" if something else "dense"),
        # Something-Something has left/right classes: no plain flip there.
        no_hflip=merged["no_hflip"] or (something and not merged["hflip_swap_labels"]),
    )
    return RunConfig(
        dataset=dataset,
        paths=paths,
        model=model,
        fine_tuning=_section(FineTuning, merged),
        data=data,
        optimisation=_section(
            Optimisation, merged, multistep_milestones=tuple(merged["multistep_milestones"])
        ),
        control=_section(RunControl, merged),
        distribution=_section(Distribution, merged),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def config_to_dict(config: RunConfig) -> dict[str, Any]:
    """The flat, JSON-ready dict form: ``config_version`` and every flag's value (paths already
    joined onto the root, so ``root_path`` is not kept)."""
    flat: dict[str, Any] = {"config_version": CONFIG_VERSION, "dataset": config.dataset}
    for attribute, section in _SECTIONS.items():
        value = getattr(config, attribute)
        flat.update({f.name: _plain(getattr(value, f.name)) for f in fields(section)})
    flat.update({flag: _plain(getattr(config.data, name)) for flag, name in DATA_FLAGS.items()})
    flat.update({name: _plain(getattr(config.data, name)) for name in _WEIGHTS_FIELDS})
    return flat


def with_pretrained(
    config: RunConfig,
    pretrain_format: str,
    mean: tuple[float, ...] | None,
    std: tuple[float, ...] | None,
) -> RunConfig:
    """``config`` once ``--pretrain_path`` is read: its detected format and the weights' own
    normalisation (``None`` where the format defines none), which
    :meth:`DataSettings.normalization` ranks below ``--mean``/``--std``."""
    return replace(
        config,
        fine_tuning=replace(config.fine_tuning, pretrain_format=pretrain_format),
        data=replace(
            config.data,
            weights_mean=None if mean is None else tuple(mean),
            weights_std=None if std is None else tuple(std),
        ),
    )


def config_from_dict(stored: Mapping[str, Any]) -> RunConfig:
    """Read back :func:`config_to_dict`'s form, or an older checkpoint's plain option dump
    (``config_version`` 0: ``vars()`` of the options after joining the paths)."""
    version = int(stored.get("config_version", 0))
    if version > CONFIG_VERSION:
        raise ConfigError(
            f"the configuration has version {version}; this strg reads up to {CONFIG_VERSION} "
            "(written by a newer strg?)"
        )
    known = option_defaults()
    options = {key: value for key, value in stored.items() if key in known}
    options.update({key: value for key, value in LEGACY_VALUES.items() if key not in stored})
    options["root_path"] = None  # the stored paths are already joined onto it
    options["accimage"] = False
    config = build_config(options, require_paths=False)
    weights = [stored.get(name) for name in _WEIGHTS_FIELDS]
    return replace(
        config,
        data=replace(
            config.data,
            **{
                n: None if v is None else tuple(v)
                for n, v in zip(_WEIGHTS_FIELDS, weights, strict=True)
            },
        ),
    )
