"""Wide 3D ResNet (kenshohara ``wide_resnet.py``): bottleneck of expansion 2, widths × k."""

from __future__ import annotations

from strg.models.resnet import Bottleneck, ResNet, get_inplanes

WIDE_RESNET_LAYERS: dict[int, list[int]] = {
    50: [3, 4, 6, 3],
    101: [3, 4, 23, 3],
    152: [3, 8, 36, 3],
    200: [3, 24, 36, 3],
}


class WideBottleneck(Bottleneck):
    expansion = 2


def generate_model(model_depth: int, k: int = 2, **kwargs) -> ResNet:
    """Build ``wideresnet`` at ``model_depth`` (50, 101, 152, 200) with width factor ``k``."""
    if model_depth not in WIDE_RESNET_LAYERS:
        raise ValueError(
            f"wideresnet depth must be one of {sorted(WIDE_RESNET_LAYERS)}, got {model_depth}"
        )
    return ResNet(
        WideBottleneck, WIDE_RESNET_LAYERS[model_depth], get_inplanes(), widen_factor=k, **kwargs
    )
