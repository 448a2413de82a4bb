"""benchmarks/models.py on the CPU at a tiny size prints the lines it promises, with numbers."""

from __future__ import annotations

import importlib.util
import re

import pytest

from tests.conftest import REPO_ROOT


def _benchmark():
    spec = importlib.util.spec_from_file_location(
        "models_benchmark", REPO_ROOT / "benchmarks" / "models.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cpu_benchmark_prints_step_times_share_and_comparison(capsys) -> None:
    benchmark = _benchmark()
    argv = ["--frames", "8", "--size", "32", "--switches", "none", "channels_last",
            "--repeats", "1", "--nrois", "2", "--peak_side", "512"]  # fmt: skip
    assert benchmark.main(argv) == 0
    out = capsys.readouterr().out
    steps = re.findall(r"^strg_i3d_r50 +(fp32|bf16) (\S+) +step +(\d+\.\d+) s", out, re.M)
    assert [switches for _, switches, _ in steps] == ["none", "channels_last"], out
    assert all(float(seconds) > 0 for *_, seconds in steps)
    share = re.search(r"^strg step share of (fp32|bf16) peak: (\d+) %", out, re.M)
    assert share and 0 < int(share.group(2)) <= 100, out
    # the FLOPs of the step are counted: a positive GFLOP figure in the same line
    assert re.search(r"\(\S+, \d+ GFLOP in \d+\.\d+ s/step", out), out
    comparison = re.search(r"^i3d_r50 time vs pytorchvideo: (.*)$", out, re.M)
    assert comparison, out
    try:
        import pytorchvideo  # noqa: F401
    except ImportError:
        assert comparison.group(1).startswith("not measured ("), out
    else:
        ratio = re.match(r"(\d+\.\d+)x", comparison.group(1))
        assert ratio and float(ratio.group(1)) > 0, out
    with pytest.raises(SystemExit):
        benchmark.main(["--switches", "fast"])
