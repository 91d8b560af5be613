"""Training sessions on images: epochs, short batches, FID, grids, resume."""

import copy
import json

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import parse_strict
from topkgan.train import problems
from topkgan.train.session import TrainingSession

IMAGE_COUNT = 10
IMAGE_SIZE = 32


@pytest.fixture
def image_folder(tmp_path):
    """Ten 32x32 RGB PNGs in two class folders, each a distinct flat colour."""
    for index in range(IMAGE_COUNT):
        folder = tmp_path / "images" / ("a" if index < 5 else "b")
        folder.mkdir(parents=True, exist_ok=True)
        colour = (index * 25, 255 - index * 25, (index * 77) % 256)
        Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), colour).save(folder / f"{index}.png")
    return tmp_path / "images"


@pytest.fixture
def image_config(config, image_folder, tmp_path, monkeypatch):
    monkeypatch.setenv("TOPK_GAN_CACHE_DIR", str(tmp_path / "cache"))
    result = copy.deepcopy(config)
    result["data"] = {
        "kind": "image-folder",
        "root": str(image_folder),
        "resize": None,
        "drop_last": False,
        "limit": None,
    }
    result["model"] = {"kind": "dcgan", "latent_dim": 8, "width": 4}
    result["train"]["batch_size"] = 4
    result["eval"]["fid"] = {
        "enabled": True,
        "num_samples": 6,
        "weights": "random-for-tests",
        "batch_size": 4,
    }
    return result


def open_session(config, mode="none", seed=0) -> TrainingSession:
    return TrainingSession(config, {"name": mode, "topk_mode": mode}, seed, "cpu")


def call(session, method: str, request: dict | None = None) -> dict:
    return parse_strict(getattr(session, method)(json.dumps(request or {})))


def colour_of(images: torch.Tensor) -> list[tuple]:
    """The flat colour of each image, as 8-bit values."""
    pixels = torch.round((images[:, :, 0, 0] + 1) * 127.5).to(torch.int64)
    return [tuple(row) for row in pixels.tolist()]


def test_when_an_epoch_runs_then_every_image_comes_once_and_the_last_batch_is_short(
    image_config,
):
    session = open_session(image_config)
    assert session.steps_per_epoch == 3  # 10 images in batches of 4: 4, 4, 2

    batches = []
    for step in range(3):
        session.step = step
        batches.append(session.sample_real(4))
    assert [len(batch) for batch in batches] == [4, 4, 2]
    seen = colour_of(torch.cat(batches))
    assert len(set(seen)) == IMAGE_COUNT


def test_when_epochs_and_seeds_differ_then_orders_differ_but_arms_agree(image_config):
    first, second = open_session(image_config, "none"), open_session(image_config, "top")
    other_seed = open_session(image_config, seed=1)
    order = first.problem.get_epoch_order(0)
    assert torch.equal(order, second.problem.get_epoch_order(0))
    assert not torch.equal(order, first.problem.get_epoch_order(1))
    assert not torch.equal(order, other_seed.problem.get_epoch_order(0))


def test_when_the_short_batch_trains_then_k_shrinks_with_it(image_config):
    session = open_session(image_config, "top")
    result = call(session, "train_chunk", {"k_per_step": [2, 2, 2], "topk_mode": "top"})
    assert result["steps"] == 3 and result["step"] == 3
    assert all(np.isfinite(result[name]) for name in ("loss_d", "loss_g"))


def test_when_drop_last_and_too_few_images_then_the_error_names_the_fix(image_config):
    image_config["data"]["drop_last"] = True
    image_config["train"]["batch_size"] = 16
    with pytest.raises(ValueError, match="10 training images make no full batch"):
        open_session(image_config)


def test_when_drop_last_then_the_short_batch_is_not_an_epoch_step(image_config):
    image_config["data"]["drop_last"] = True
    assert open_session(image_config).steps_per_epoch == 2


def test_when_dcgan_meets_28_pixel_images_then_the_error_says_what_fits(image_config):
    image_config["data"]["resize"] = [28, 28]
    with pytest.raises(ValueError, match="dcgan needs 32x32 or 64x64 images, the data are 28x28"):
        open_session(image_config)


def test_when_evaluated_with_test_weights_then_no_fid_but_plumbing_a_grid_and_a_cache(
    image_config, tmp_path, monkeypatch
):
    # one test, as every FID costs a 2048 x 2048 matrix square root
    grid = tmp_path / "grid.png"
    first = call(open_session(image_config), "evaluate", {"grid_path": str(grid)})
    assert first["fid"] is None
    assert first["fid_plumbing"] >= 0
    assert first["fid_weights"] == "random-for-tests"
    assert first["fid_samples"] == 6 and first["fid_real_samples"] == 6
    assert "fewer than the 2048 feature dimensions" in first["fid_warning"]
    with Image.open(grid) as image:
        # 64 images of 32 pixels in an 8x8 grid with 2-pixel gaps
        assert image.size == (8 * 34 + 2, 8 * 34 + 2)

    def refuse(self, count):
        raise AssertionError("real statistics recomputed despite the cache")

    monkeypatch.setattr(problems.FidEvaluator, "compute_real_statistics", refuse)
    again = call(open_session(image_config), "evaluate")
    assert again["fid_plumbing"] == first["fid_plumbing"]


def test_when_evaluated_then_training_state_does_not_move(image_config, tmp_path):
    # the grid runs the generator as the FID does, in eval mode
    image_config["eval"]["fid"]["enabled"] = False
    evaluated, plain = open_session(image_config), open_session(image_config)
    call(evaluated, "evaluate", {"grid_path": str(tmp_path / "grid.png")})
    steps = {"k_per_step": [4, 4, 4, 4], "topk_mode": "none"}
    first = call(evaluated, "train_chunk", steps)
    second = call(plain, "train_chunk", steps)
    first.pop("seconds"), second.pop("seconds")
    assert first == second


def test_when_resumed_from_a_checkpoint_then_training_continues_identically(
    image_config, tmp_path
):
    steps = {"k_per_step": [4, 3, 3], "topk_mode": "top"}
    reference = open_session(image_config, "top")
    call(reference, "train_chunk", steps)
    call(reference, "save_checkpoint", {"path": str(tmp_path / "c.pt")})
    expected = call(reference, "train_chunk", steps)

    resumed = open_session(image_config, "top")
    call(resumed, "load_checkpoint", {"path": str(tmp_path / "c.pt")})
    found = call(resumed, "train_chunk", steps)
    expected.pop("seconds"), found.pop("seconds")
    assert found == expected


def test_when_fid_is_off_then_evaluation_writes_only_the_grid(image_config, tmp_path):
    image_config["eval"]["fid"]["enabled"] = False
    result = call(open_session(image_config), "evaluate", {"grid_path": str(tmp_path / "g.png")})
    assert result["num_samples"] == 0 and "fid" not in result
    assert (tmp_path / "g.png").is_file()
