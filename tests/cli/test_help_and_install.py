"""Help that is true: the usage line shows the form invoked, every module runs with ``python -m``,
every default is shown, util_scripts is installed, and demo/ablate run installed modules."""

from __future__ import annotations

import runpy
import sys
import tomllib
from pathlib import Path

import pytest
import setuptools

import strg.cli as dispatcher
from strg.cli import invocation
from strg.cli.options import build_parser, parse_options
from strg.cli.recipe import Recipe
from tests.conftest import REPO_ROOT

MODULES = sorted(set(dispatcher.COMMANDS.values()))


@pytest.fixture(autouse=True)
def not_dispatched(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts outside the ``strg`` dispatcher (it records the sub-command it runs)."""
    monkeypatch.setattr(invocation, "_dispatched", None)


@pytest.mark.filterwarnings("ignore:'strg.cli.:RuntimeWarning")  # runpy: already imported
@pytest.mark.parametrize("module", MODULES)
def test_every_module_listed_by_strg_help_runs_as_python_m(
    module: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # what `python -m strg.cli.X -h` does: run the module as __main__ with its file as argv[0]
    file = REPO_ROOT / (module.replace(".", "/") + ".py")
    monkeypatch.setattr(sys, "argv", [str(file), "-h"])
    with pytest.raises(SystemExit) as exited:
        runpy.run_module(module, run_name="__main__")
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: python -m {module} ")


@pytest.mark.parametrize("command", ["kinetics_json", "vid2img_sthv2", "train", "eval_map"])
def test_strg_command_help_shows_strg_command(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        dispatcher.dispatch([command, "-h"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: strg {command} ")


def test_util_scripts_form_and_main_py_form(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from strg.cli.vid2img_sthv2 import main as vid2img

    monkeypatch.setattr(sys, "argv", [str(REPO_ROOT / "util_scripts" / "vid2img_sthv2.py")])
    with pytest.raises(SystemExit):
        vid2img(["-h"])
    help_text = capsys.readouterr().out
    assert help_text.startswith("usage: python -m util_scripts.vid2img_sthv2 ")
    assert "FRAME_DIR/<id>/%06d.jpg" in help_text and "%%" not in help_text
    monkeypatch.setattr(sys, "argv", [str(REPO_ROOT / "main.py")])
    assert build_parser().format_usage().startswith("usage: python main.py ")


def test_main_py_help_states_every_default() -> None:
    parser = build_parser()
    unstated = [
        action.option_strings[0]
        for action in parser._actions
        if action.default not in (None, False, "", "==SUPPRESS==")
        and "default" not in (action.help or "")
    ]
    assert unstated == []
    text = parser.format_help()
    for shown in ("data-loader worker processes (default: 4)", "save every k epochs (default: 10)",
                  "labels per video; <=0: all (default: 5)"):  # fmt: skip
        assert shown in " ".join(text.split()), shown


def test_accimage_says_what_decodes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_options(["--accimage"])
    assert exited.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]  # the usage lists format names
    assert "simplejpeg" in error and "PyAV" in error and "torchvision" not in error


def test_util_scripts_is_an_installed_package() -> None:
    # what pip installs: the packages setuptools finds with pyproject's include list
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = setuptools.find_packages(where=str(REPO_ROOT), include=include)
    assert "util_scripts" in packages and "strg.cli" in packages
    assert "tests" not in packages


def test_demo_and_ablate_run_the_installed_modules(tmp_path: Path) -> None:
    recipe = Recipe(frames=tmp_path / "f", annotation=tmp_path / "a.json", boxes=tmp_path / "b")
    commands = [recipe.stage1(tmp_path / "r", seed=1), recipe.inference(tmp_path / "r", 1, [])]
    for command in commands:
        assert command[:3] == [sys.executable, "-m", "strg.cli.main"], command[:3]
    demo_source = (REPO_ROOT / "strg" / "cli" / "demo.py").read_text()
    assert "util_scripts" not in demo_source and 'main.py"' not in demo_source
