"""Resume and inference take the architecture a checkpoint records; a flag that contradicts it
is an error naming both. And the paper's NL-I3D STRG trains, resumes and infers from main.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from strg.cli.main import main
from strg.config import ConfigError
from strg.config_recorded import adopt_recorded_architecture, recorded_architecture
from strg.engine.checkpoint import load_checkpoint
from tests.engine.conftest import tiny_run

#: tiny_run's model flags, which a resumed run no longer has to repeat.
MODEL_FLAGS = ("--n_classes", "--model", "--model_depth")


def _without_model_flags(argv: list[str]) -> list[str]:
    kept, skip = [], False
    for word in argv:
        if skip:
            skip = False
        elif word in MODEL_FLAGS:
            skip = True
        else:
            kept.append(word)
    return kept


def test_a_resumed_run_takes_the_recorded_architecture_and_refuses_a_contradiction(
    frames_dir: Path, annotation_json: Path, tmp_path: Path, capsys
) -> None:
    extra = ("--resnet_widen_factor", "0.5", "--no_max_pool", "--no_val")
    first = tiny_run(frames_dir, annotation_json, tmp_path, *extra, "--n_epochs", "1")[1:]
    assert main(first) == 0
    checkpoint = tmp_path / "save_1.pth"
    capsys.readouterr()

    bare = _without_model_flags(tiny_run(frames_dir, annotation_json, tmp_path)[1:])
    assert main([*bare, "--no_val", "--n_epochs", "2", "--resume_path", str(checkpoint)]) == 0
    note = capsys.readouterr().out
    assert f"[resume] architecture of {checkpoint}:" in note
    for words in ("--n_classes 14", "--model_depth 10", "--resnet_widen_factor 0.5",
                  "--no_max_pool"):  # fmt: skip
        assert words in note, note
    options = json.loads((tmp_path / "opts.json").read_text())
    assert options["resnet_widen_factor"] == 0.5 and options["no_max_pool"]
    assert load_checkpoint(tmp_path / "save_2.pth")["epoch"] == 2

    wrong = [*bare, "--model_depth", "18", "--no_train", "--resume_path", str(checkpoint)]
    assert main(wrong) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert f"--model_depth 18 contradicts {checkpoint}, trained with --model_depth 10" in err


def test_adoption_rules_on_plain_dicts() -> None:
    defaults = {"model": "resnet", "model_depth": 18, "strg": False, "no_max_pool": False,
                "temporal_strides": [1, 2, 2, 2]}  # fmt: skip
    recorded = {"model": "i3d_strg", "model_depth": 50, "strg": True, "no_max_pool": False,
                "temporal_strides": [1, 2, 2, 2]}  # fmt: skip
    options = {**defaults, "model": "i3d_strg"}
    adopted, implied = adopt_recorded_architecture(
        options, {"model"}, recorded, Path("s.pth"), defaults
    )
    assert adopted["model_depth"] == 50 and adopted["strg"] is True
    assert implied == ["--model_depth 50", "--strg"]
    # a flag given at its recorded value is fine, at another value an error
    adopt_recorded_architecture({**options, "strg": True}, {"strg"}, recorded, Path("s"), defaults)
    with pytest.raises(ConfigError, match=r"without --strg contradicts s.pth, trained with --strg"):
        adopt_recorded_architecture(
            {**defaults, "model": "i3d"}, {"model", "strg"}, {**recorded, "model": "i3d"},
            Path("s.pth"), defaults,
        )  # fmt: skip
    # a published checkpoint has only its arch
    assert recorded_architecture({"arch": "resnet-50", "state_dict": {}}) == {
        "model": "resnet",
        "model_depth": 50,
    }
    assert recorded_architecture({"conv1.weight": 0}) == {}


def test_nl_i3d_strg_trains_resumes_and_infers_from_main(
    frames_dir: Path, annotation_json: Path, proposal_store: Path, tmp_path: Path, capsys
) -> None:
    """The paper's model: I3D-R50 with five non-local blocks and the authors' kernel-2 temporal
    pool (which gives T' = 4 on 8 frames, the stride the boxes are sampled at)."""
    paper = ["--model", "i3d", "--model_depth", "50", "--nonlocal_blocks",
             "--temporal_pool_kernel", "2", "--strg", "--proposal_path", str(proposal_store),
             "--nrois", "4", "--reduce_dim", "16", "--gcn_layers", "1", "--sample_duration", "8",
             "--batch_size", "7"]  # fmt: skip
    base = _without_model_flags(tiny_run(frames_dir, annotation_json, tmp_path)[1:])
    base = [w for w in base if w not in ("--sample_duration", "4")]
    assert main([*base, "--n_classes", "14", *paper, "--n_epochs", "1", "--no_val"]) == 0
    options = json.loads((tmp_path / "opts.json").read_text())
    assert options["nonlocal_blocks"] and options["temporal_pool_kernel"] == 2
    state = load_checkpoint(tmp_path / "save_1.pth")
    assert state["config"]["nonlocal_blocks"] is True
    non_local = {".".join(key.split(".")[1:4]) for key in state["state_dict"] if ".nl." in key}
    assert sorted(non_local) == [f"layer{stage}.nl.{block}" for stage, block in
                                 ((2, 1), (2, 3), (3, 1), (3, 3), (3, 5))]  # fmt: skip
    capsys.readouterr()

    resumed = [*base, "--proposal_path", str(proposal_store), "--sample_duration", "8",
               "--batch_size", "7", "--resume_path", str(tmp_path / "save_1.pth")]  # fmt: skip
    assert main([*resumed, "--n_epochs", "2", "--inference", "--output_topk", "3"]) == 0
    assert "--nonlocal_blocks --temporal_pool_kernel 2 --strg" in capsys.readouterr().out
    results = json.loads((tmp_path / "val.json").read_text())["results"]
    assert len(results) == 14 and all(len(labels) == 3 for labels in results.values())
    assert load_checkpoint(tmp_path / "save_2.pth")["epoch"] == 2
