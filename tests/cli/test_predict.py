"""``strg predict`` on video files the test encodes itself, against ``main.py --inference
--file_type video`` on the same files through an annotation JSON."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
import torch

from strg.cli import main as strg_main
from strg.cli import predict
from strg.cli.main import main as train_main
from strg.cli.options import parse_options
from strg.config import build_config, config_to_dict
from strg.data.proposal_store import ProposalStore, from_frame_lists
from strg.engine.checkpoint import save_checkpoint
from strg.engine.model_setup import build_spec_model

CLASSES = ["rolling", "sliding", "spinning"]
#: r3d-10 at an eighth of its width on 8×16² clips, windows every 4 frames (overlapping).
MODEL = ["--model", "resnet", "--model_depth", "10", "--resnet_widen_factor", "0.125",
         "--n_classes", "3", "--sample_size", "16", "--sample_duration", "8",
         "--inference_stride", "4", "--no_cuda", "--n_threads", "0"]  # fmt: skip
#: STRG on it, with a 4×4 map at 4 steps (feature step 2), the graph half of fc not at zero.
STRG = ["--strg", "--no_max_pool", "--temporal_strides", "1", "1", "1", "2",
        "--spatial_strides", "1", "1", "1", "2", "--nrois", "2", "--reduce_dim", "8",
        "--gcn_layers", "1", "--no_zero_init_graph", "--gcn_init_std", "0"]  # fmt: skip
#: file name -> (container, frames, height, width, fps): spaces and quotes in a name, an odd
#: frame size, a video shorter than the clip, and one long enough for several windows.
VIDEOS = {
    'it\'s a "quoted" name.webm': ("webm", 14, 24, 32, 12),
    "odd size.mp4": ("mp4", 12, 29, 37, 10),
    "short.webm": ("webm", 3, 20, 20, 12),
    "long.mp4": ("mp4", 21, 24, 24, 8),
}


def encode(path: Path, container: str, frames: np.ndarray, fps: int) -> Path:
    """T×H×W×3 uint8 frames as VP9 WebM or MPEG-4 MP4 (both take odd frame sizes)."""
    codec = "libvpx-vp9" if container == "webm" else "mpeg4"
    with av.open(str(path), mode="w", format=container) as output:
        stream = output.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        for frame in frames:
            output.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        output.mux(stream.encode())
    return path


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("videos")
    rng = np.random.default_rng(3)
    out = {}
    for name, (container, n_frames, height, width, fps) in VIDEOS.items():
        # a bright square moving over a noisy background: clips that differ from each other
        frames = rng.integers(0, 80, (n_frames, height, width, 3), dtype=np.uint8)
        for index in range(n_frames):
            left = index * (width - 8) // max(n_frames - 1, 1)
            frames[index, 4:12, left : left + 8] = 230
        out[name] = encode(folder / name, container, frames, fps)
    return out


def make_checkpoint(path: Path, options: list[str], class_names: list[str] | None) -> Path:
    """A checkpoint in main.py's format of a model built (not trained) from main.py's options;
    its BatchNorm statistics are randomised so that the scores are far from uniform."""
    config = build_config(vars(parse_options(options)), require_paths=False)
    torch.manual_seed(0)
    model = build_spec_model(config.model, config.model.n_classes, config.data.n_input_channels)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm3d):
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 2.0)

    checkpoint = {"epoch": 1, "arch": config.model.arch, "state_dict": model.state_dict(),
                  "config": config_to_dict(config)}  # fmt: skip
    if class_names is not None:
        checkpoint["class_names"] = class_names
    save_checkpoint(path, checkpoint)
    return path


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_checkpoint(tmp_path_factory.mktemp("run") / "save_1.pth", MODEL, CLASSES)


def annotation_of(videos: dict[str, Path], path: Path) -> Path:
    """The annotation JSON main.py reads the same files through (testing subset, explicit
    video_path, segment [1, n + 1] with n the decoded frames)."""
    database = {}
    for file in videos.values():
        with av.open(str(file)) as container:
            n_frames = sum(1 for _ in container.decode(video=0))
        database[file.stem] = {
            "subset": "testing",
            "annotations": {"segment": [1, n_frames + 1]},
            "video_path": str(file),
        }
    path.write_text(json.dumps({"labels": CLASSES, "database": database}))
    return path


def main_py_scores(
    options: list[str], checkpoint: Path, annotation: Path, result: Path, *extra: str
) -> dict:
    """``main.py --inference --file_type video`` of ``checkpoint`` (trained with ``options``)."""
    status = train_main([
        *options, "--resume_path", str(checkpoint), "--video_path", str(annotation.parent),
        "--annotation_path", str(annotation),
        "--result_path", str(result), "--file_type", "video", "--no_train", "--no_val",
        "--inference", "--inference_subset", "test", "--output_topk", "0", *extra,
    ])  # fmt: skip
    assert status == 0
    return json.loads((result / "test.json").read_text())["results"]


def as_dict(labels: list[dict]) -> dict[str, float]:
    return {entry["label"]: entry["score"] for entry in labels}


def assert_same_scores(ours: dict, theirs: dict) -> None:
    assert set(ours) == set(theirs)
    for video_id, labels in theirs.items():
        assert [e["label"] for e in ours[video_id]] == [e["label"] for e in labels], video_id
        expected, got = as_dict(labels), as_dict(ours[video_id])
        for label, score in expected.items():
            assert got[label] == pytest.approx(score, abs=1e-4), (video_id, label)


def test_scores_equal_main_py_inference_on_the_same_files(
    videos: dict[str, Path], checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    output = tmp_path / "out" / "predictions.json"
    status = predict.main([
        *map(str, videos.values()), "--resume_path", str(checkpoint), "--output", str(output),
        "--output_topk", "0", "--per_window", "--no_cuda", "--quiet",
    ])  # fmt: skip
    assert status == 0
    written = json.loads(output.read_text())
    annotation = annotation_of(videos, tmp_path / "a.json")
    theirs = main_py_scores(MODEL, checkpoint, annotation, tmp_path / "r")
    assert_same_scores(written["results"], theirs)
    # the scores are the model's, not a constant: the videos are told apart
    top = {video_id: labels[0]["score"] for video_id, labels in written["results"].items()}
    assert len({round(score, 4) for score in top.values()}) == len(VIDEOS)
    # one window every 4 frames until the first that runs past the end, timed by the fps
    windows = written["windows"]
    assert [w["segment"] for w in windows["long"]] == [[1, 9], [5, 13], [9, 17], [13, 21], [17, 22]]
    assert windows["long"][1]["seconds"] == [0.5, 1.5]  # frames 4..11 at 8 fps
    assert [w["segment"] for w in windows["short"]] == [[1, 4]]  # 3 frames, loop-padded to 8
    assert all(len(w["result"]) == 3 for w in windows["long"])
    printed = capsys.readouterr().out
    assert f"{videos['odd size.mp4']}: 12 frames, 10 fps (1.20 s)" in printed
    assert f"wrote {output} (4 videos)" in printed


def test_a_directory_and_the_strg_command(
    videos: dict[str, Path], checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    output = tmp_path / "dir.json"
    folder = next(iter(videos.values())).parent
    status = strg_main(["predict", str(folder), "--resume_path", str(checkpoint), "--output",
                        str(output), "--output_topk", "2"])  # fmt: skip
    assert status == 0
    results = json.loads(output.read_text())["results"]
    assert set(results) == {Path(name).stem for name in VIDEOS}
    assert all(len(labels) == 2 for labels in results.values())
    assert "windows" not in json.loads(output.read_text())
    assert "predict: 100%" in capsys.readouterr().err  # the progress bar over the folder


def test_unreadable_videos_fail_alone(
    videos: dict[str, Path], checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    good = videos["odd size.mp4"]
    data = videos["long.mp4"].read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: len(data) // 2])
    corrupt = tmp_path / "corrupt.webm"
    corrupt.write_bytes(b"\x1aE\xdf\xa3 not really a webm file" * 50)
    empty = tmp_path / "empty.webm"
    empty.touch()
    output = tmp_path / "some.json"
    status = predict.main([str(truncated), str(good), str(corrupt), str(empty), "--resume_path",
                           str(checkpoint), "--output", str(output), "--quiet"])  # fmt: skip
    assert status == predict.SOME_FAILED == 1
    assert list(json.loads(output.read_text())["results"]) == ["odd size"]
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 3
    for bad, line in zip((truncated, corrupt, empty), errors, strict=True):
        assert str(bad) in line
    assert "truncated" in errors[0] and "empty" in errors[2]


def test_class_names_come_from_the_annotation_for_older_checkpoints(
    videos: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    older = make_checkpoint(tmp_path / "save_1.pth", MODEL, None)
    video = str(videos["short.webm"])
    assert predict.main([video, "--resume_path", str(older), "--quiet"]) == 2
    assert "stores no class names" in capsys.readouterr().err
    annotation = annotation_of(videos, tmp_path / "a.json")
    assert predict.main([video, "--resume_path", str(older), "--annotation_path",
                         str(annotation), "--output_topk", "1"]) == 0  # fmt: skip
    assert capsys.readouterr().out.splitlines()[1].split()[1] in CLASSES


def test_bad_options_are_one_line_and_exit_2(
    videos: dict[str, Path], checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    video = str(videos["short.webm"])
    cases = [
        ([video, "--resume_path", str(tmp_path / "missing.pth")], "missing.pth does not exist"),
        ([video, "--resume_path", str(checkpoint), "--proposal_path", str(tmp_path)],
         "has no region-graph head"),
        ([str(tmp_path), "--resume_path", str(checkpoint)], "holds no video file"),
    ]  # fmt: skip
    for argv, message in cases:
        assert predict.main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and message in err, err


def test_strg_needs_boxes_and_reads_them_from_a_store(
    videos: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    # a store keyed by file stem: two boxes on every frame
    store = ProposalStore(tmp_path / "boxes")
    for name, (_, n_frames, height, width, _) in VIDEOS.items():
        boxes = [np.array([[2, 2, 14, 12], [width / 2, 1, width - 1, height - 1]])] * n_frames
        store.save(Path(name).stem, from_frame_lists(range(n_frames), boxes, (height, width)))
    options = [*MODEL, *STRG, "--proposal_path", str(store.root)]
    strg = make_checkpoint(tmp_path / "strg.pth", options, CLASSES)
    files = [str(path) for path in videos.values()]
    # the store the checkpoint was trained with is not taken silently for new videos
    assert predict.main([*files, "--resume_path", str(strg)]) == 2
    err = capsys.readouterr().err.strip()
    assert "is an STRG model and needs boxes" in err and len(err.splitlines()) == 1
    output = tmp_path / "strg.json"
    status = predict.main([*files, "--resume_path", str(strg), "--proposal_path", str(store.root),
                           "--output", str(output), "--output_topk", "0", "--quiet"])  # fmt: skip
    assert status == 0
    annotation = annotation_of(videos, tmp_path / "a.json")
    theirs = main_py_scores(options, strg, annotation, tmp_path / "r")
    assert_same_scores(json.loads(output.read_text())["results"], theirs)
    # the boxes are read: other boxes, other scores
    for name, (_, n_frames, height, width, _) in VIDEOS.items():
        boxes = [np.array([[0, 0, width, height / 3]])] * n_frames
        store.save(Path(name).stem, from_frame_lists(range(n_frames), boxes, (height, width)))
    again = [files[0], "--resume_path", str(strg), "--proposal_path", str(store.root),
             "--output", str(output), "--output_topk", "0", "--quiet"]  # fmt: skip
    assert predict.main(again) == 0
    video_id = Path(files[0]).stem
    other = as_dict(json.loads(output.read_text())["results"][video_id])
    assert (
        max(abs(other[label] - score) for label, score in as_dict(theirs[video_id]).items()) > 1e-3
    )


def test_strg_boxes_extracted_on_the_fly_by_the_detector(
    videos: dict[str, Path], tmp_path: Path
) -> None:
    from torchvision.models.detection import fasterrcnn_resnet50_fpn

    torch.manual_seed(0)
    weights = tmp_path / "detector.pth"
    detector = fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None)
    torch.save(detector.state_dict(), weights)
    strg = make_checkpoint(
        tmp_path / "strg.pth", [*MODEL, *STRG, "--proposal_path", str(tmp_path)], CLASSES
    )
    store = tmp_path / "extracted"
    files = [str(videos["odd size.mp4"]), str(videos["short.webm"])]
    argv = [*files, "--resume_path", str(strg), "--detector_weights", str(weights),
            "--detector_size", "32", "--proposal_path", str(store), "--quiet"]  # fmt: skip
    assert predict.main(argv) == 0
    # every feature step's frame (2) of each video, in the frames' own pixels
    odd = ProposalStore(store).load("odd size")
    assert odd.frame_indices.tolist() == [0, 2, 4, 6, 8, 10] and odd.frame_size == (29, 37)
    assert odd.counts.max() >= 1 and (odd.boxes[..., 2] <= 37).all()
    assert ProposalStore(store).load("short").frame_indices.tolist() == [0, 2]
