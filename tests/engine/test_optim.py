"""Fine-tuning from a module freezes what comes before it, BatchNorm statistics included."""

from __future__ import annotations

import pytest
import torch

from strg.engine.optim import build_optimizer, frozen_modules, top_level_name
from strg.models import build_model


def train_step(model: torch.nn.Module, eval_modules: list[torch.nn.Module], optimizer) -> None:
    model.train()
    for module in eval_modules:
        module.eval()
    clip = torch.randn(2, 3, 4, 32, 32)
    loss = torch.nn.functional.cross_entropy(model(clip), torch.tensor([0, 1]))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def test_modules_before_ft_begin_module_keep_weights_and_statistics() -> None:
    torch.manual_seed(0)
    model = build_model("resnet", model_depth=10, n_classes=3)
    before = {name: value.clone() for name, value in model.state_dict().items()}
    eval_modules = frozen_modules(model, ft_begin_module="layer4")
    optimizer = build_optimizer(model, "sgd", learning_rate=0.5)
    train_step(model, eval_modules, optimizer)
    after = model.state_dict()
    for name, value in after.items():
        top = top_level_name(name)
        if name.endswith("num_batches_tracked"):
            continue
        if top in ("conv1", "bn1", "layer1", "layer2", "layer3"):
            assert torch.equal(value, before[name]), f"{name} changed"
        elif top == "layer4" and name.endswith(("running_mean", "weight")):
            assert not torch.equal(value, before[name]), f"{name} did not train"
    assert all(not p.requires_grad for n, p in model.named_parameters() if n.startswith("layer3"))


def test_freeze_bn_keeps_every_batchnorm_still() -> None:
    torch.manual_seed(0)
    model = build_model("resnet", model_depth=10, n_classes=3)
    before = {name: value.clone() for name, value in model.state_dict().items()}
    eval_modules = frozen_modules(model, freeze_bn=True)
    train_step(model, eval_modules, build_optimizer(model, "adamw", learning_rate=0.01))
    after = model.state_dict()
    assert all(torch.equal(after[n], before[n]) for n in after if ".bn" in n or n.startswith("bn1"))
    assert not torch.equal(after["conv1.weight"], before["conv1.weight"])


def test_wrapper_prefixes_are_skipped() -> None:
    assert top_level_name("module.layer1.0.conv1.weight") == "layer1"
    assert top_level_name("backbone.layer4.1.bn2.bias") == "layer4"
    assert top_level_name("features.denseblock1.x") == "denseblock1"
    assert top_level_name("fc.weight") == "fc"


def test_unknown_module_lists_the_valid_ones() -> None:
    model = build_model("resnet", model_depth=10, n_classes=3)
    with pytest.raises(ValueError, match=r"'layer9'.*conv1, bn1, layer1"):
        frozen_modules(model, ft_begin_module="layer9")
