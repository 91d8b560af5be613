"""Oracle-direction analysis: closed-form cases, then one real checkpoint."""

import copy
import json
import subprocess
import sys

import pytest
import torch
import torch.nn as nn

from conftest import REPO_ROOT, SMALL_CONFIG, parse_strict
from topkgan.analysis.oracle_direction import (
    analyse_checkpoint,
    get_bin_edges,
    nearest_centres,
    oracle_cosines,
    oracle_direction,
    summarise_group,
    take_generator_step,
)
from topkgan.data.mixture import get_mode_centres
from topkgan.losses.adversarial import bce_generator_loss, hinge_generator_loss
from topkgan.models.mlp import create_discriminator, create_generator
from topkgan.train.session import TrainingSession

LR = 0.01
PAIR = torch.tensor([[-1.0, 0.0], [1.0, 0.0]])
GRID = torch.from_numpy(
    get_mode_centres({"layout": "grid", "modes": 25, "spacing": 2.0})
)


class BiasGenerator(nn.Module):
    """G(z) = b for every latent: all samples sit at one learnable point."""

    def __init__(self, point: list[float]):
        super().__init__()
        self.bias = nn.Parameter(torch.tensor(point, dtype=torch.float64))

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        return self.bias.expand(len(latents), -1)


class ScaleGenerator(nn.Module):
    """G(z) = z * a for scalar latents z [B, 1] and a learnable a [2]."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor([1.0, 0.0], dtype=torch.float64))

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        return latents * self.scale


def create_linear_critic(weight: list[float]) -> nn.Linear:
    """D(x) = weight . x, no bias."""
    critic = nn.Linear(2, 1, bias=False).double()
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([weight], dtype=torch.float64))
    return critic


def step_sgd(generator, critic, latents, kept, loss=hinge_generator_loss, **options):
    updated = take_generator_step(
        generator, critic, None, latents, kept, loss, LR, "sgd", **options
    )
    with torch.no_grad():
        return generator(latents), updated(latents)


@pytest.mark.parametrize(
    "point, centres, expected",
    [
        ([0.1, 0.0], PAIR, 1),
        ([-3.0, 5.0], PAIR, 0),
        # exactly between two modes: the lower index, whichever centre it is
        ([0.0, 0.0], PAIR, 0),
        ([0.0, 0.0], PAIR.flip(0), 0),
        # on the 5 x 5 grid, (1, 1) is as far from (0, 0), (0, 2), (2, 0), (2, 2)
        ([1.0, 1.0], GRID, 12),
    ],
)
def test_when_points_are_placed_then_the_nearest_centre_is_known(
    point, centres, expected
):
    assert nearest_centres(torch.tensor([point]), centres).tolist() == [expected]


@pytest.mark.parametrize(
    "move, expected",
    [([-0.5, 0.0], 1.0), ([0.5, 0.0], -1.0), ([0.0, 0.3], 0.0), ([-1, 1], 2**-0.5)],
)
def test_when_a_point_moves_then_its_cosine_to_the_mode_is_known(move, expected):
    before = torch.tensor([[2.0, 0.0]])
    result = oracle_cosines(before, before + torch.tensor([move]), torch.zeros(1, 2))
    assert result.cosines.item() == pytest.approx(expected, abs=1e-12)
    assert result.nearest.tolist() == [0]


def test_when_a_point_sits_on_a_centre_or_stays_then_it_is_left_out_and_counted():
    before = torch.tensor([[1.0, 0.0], [2.0, 0.0], [0.5, 0.0], [1.0, 0.0]])
    after = before + torch.tensor([[0.1, 0.0], [0.0, 0.0], [0.1, 0.0], [0.0, 0.0]])
    centres = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    result = oracle_cosines(before, after, centres)
    assert result.on_centre.tolist() == [True, False, False, True]
    assert result.zero_displacement.tolist() == [False, True, False, False]

    summary = summarise_group(result, torch.arange(4), get_bin_edges(4))
    assert summary["samples"] == 4 and summary["count"] == 1
    assert summary["excluded_on_centre"] == 2
    assert summary["excluded_zero_displacement"] == 1
    # (0.5, 0) is as far from both centres: it takes (0, 0) and moves away
    assert summary["mean"] == summary["median"] == -1.0
    assert summary["std"] == 0.0 and summary["positive_fraction"] == 0.0
    assert summary["negative_fraction"] == 1.0
    assert summary["histogram"] == [1, 0, 0, 0]
    assert summary["mean_displacement_norm"] == pytest.approx(0.05)


def test_when_no_cosine_is_defined_then_the_statistics_are_null():
    before = torch.zeros(2, 2)
    result = oracle_cosines(before, before, torch.zeros(1, 2))
    summary = summarise_group(result, torch.arange(2), get_bin_edges(20))
    assert summary["count"] == 0 and summary["mean"] is None
    assert summary["histogram"] == [0] * 20


@pytest.mark.parametrize(
    "weight, expected", [([1.0, 0.0], 1.0), ([0.0, 1.0], 0.0), ([-1.0, 0.0], -1.0)]
)
def test_when_g_is_one_point_then_sgd_moves_it_along_the_critic_weight(
    weight, expected
):
    # hinge loss -mean(w . b): the gradient is -w, so SGD moves b by lr * w
    generator = BiasGenerator([0.0, 0.0])
    latents = torch.zeros(4, 1, dtype=torch.float64)
    before, after = step_sgd(
        generator, create_linear_critic(weight), latents, torch.tensor([0, 2])
    )
    assert torch.allclose(after - before, LR * torch.tensor([weight]).double())

    result = oracle_cosines(before, after, torch.tensor([[1.0, 0.0], [9.0, 9.0]]))
    assert result.cosines.tolist() == pytest.approx([expected] * 4, abs=1e-12)


# scalar latents; the critic scores z, so top keeps z = 0.6, 0.8, bottom -0.9, -0.5
LATENTS = torch.tensor([[-0.9], [-0.5], [-0.2], [0.3], [0.6], [0.8]]).double()
TOP, BOTTOM = torch.tensor([4, 5]), torch.tensor([0, 1])
OUTER_MODES = torch.tensor([[-2.0, 0.0], [2.0, 0.0]])


@pytest.mark.parametrize("kept, mean_z", [(TOP, 0.7), (BOTTOM, -0.7)])
def test_when_g_scales_latents_then_the_sgd_displacement_is_known(kept, mean_z):
    # hinge: grad_a = -mean_kept(z) w, so d_i = lr * mean_kept(z) * z_i * w
    critic = create_linear_critic([1.0, 0.0])
    before, after = step_sgd(ScaleGenerator(), critic, LATENTS, kept)
    expected = LR * mean_z * LATENTS * torch.tensor([[1.0, 0.0]]).double()
    assert torch.allclose(after - before, expected, atol=1e-15)


@pytest.mark.parametrize("loss", [hinge_generator_loss, bce_generator_loss])
def test_when_top_samples_lead_then_all_move_towards_and_bottom_ones_away(loss):
    # samples on the x axis, modes at x = -2 and 2: spreading out is towards them
    critic = create_linear_critic([1.0, 0.0])
    top = oracle_cosines(
        *step_sgd(ScaleGenerator(), critic, LATENTS, TOP, loss), OUTER_MODES
    )
    bottom = oracle_cosines(
        *step_sgd(ScaleGenerator(), critic, LATENTS, BOTTOM, loss), OUTER_MODES
    )
    assert top.cosines.tolist() == pytest.approx([1.0] * 6)
    assert bottom.cosines.tolist() == pytest.approx([-1.0] * 6)


def test_when_adam_starts_fresh_then_its_first_step_follows_the_gradient_sign():
    # a fresh Adam step is lr * g / (|g| + eps): about lr * sign(g), 0 where g = 0
    critic = create_linear_critic([1.0, 0.0])
    for kept, sign in ((TOP, 1.0), (BOTTOM, -1.0)):
        updated = take_generator_step(
            ScaleGenerator(), critic, None, LATENTS, kept, hinge_generator_loss, LR
        )
        assert updated.scale.tolist() == pytest.approx([1.0 + sign * LR, 0.0])


def create_trained_adam(generator: nn.Module) -> torch.optim.Adam:
    """An Adam over `generator` that has taken two steps, so its moments matter."""
    adam = torch.optim.Adam(generator.parameters(), lr=LR, betas=(0.5, 0.999))
    for seed in (1, 2):
        latents = torch.randn(8, 2, generator=torch.Generator().manual_seed(seed))
        adam.zero_grad()
        generator(latents.double()).square().sum().backward()
        adam.step()
    adam.zero_grad()
    return adam


def create_mlp_pair() -> tuple[nn.Module, nn.Module]:
    model = {"latent_dim": 2, "hidden": 8, "layers": 3}
    torch.manual_seed(0)
    return create_generator(model).double(), create_discriminator(model).double()


def test_when_adam_state_is_given_then_the_step_continues_it_untouched():
    generator, critic = create_mlp_pair()
    adam = create_trained_adam(generator)
    state = adam.state_dict()
    saved_state = copy.deepcopy(state)
    latents = torch.randn(16, 2, generator=torch.Generator().manual_seed(3)).double()
    kept = torch.tensor([1, 4, 9])

    updated = take_generator_step(
        generator, critic, state, latents, kept, bce_generator_loss, LR
    )

    # the same step, taken by hand on a copy
    expected = copy.deepcopy(generator)
    by_hand = torch.optim.Adam(expected.parameters(), lr=LR, betas=(0.5, 0.999))
    by_hand.load_state_dict(copy.deepcopy(saved_state))
    bce_generator_loss(critic(expected(latents)).squeeze(1)[kept]).backward()
    by_hand.step()
    for got, wanted in zip(updated.parameters(), expected.parameters()):
        assert torch.equal(got, wanted)
    assert_states_equal(state, saved_state)


def assert_states_equal(state: dict, saved: dict) -> None:
    for index, values in saved["state"].items():
        for name, value in values.items():
            assert torch.equal(state["state"][index][name], value), (index, name)


def test_when_two_arms_step_then_both_start_from_the_same_untouched_weights():
    generator, critic = create_mlp_pair()
    state = create_trained_adam(generator).state_dict()
    saved = [copy.deepcopy(generator), copy.deepcopy(critic), copy.deepcopy(state)]
    latents = torch.randn(16, 2, generator=torch.Generator().manual_seed(4)).double()
    top, bottom = torch.tensor([0, 3, 5]), torch.tensor([2, 7, 11])

    def step(kept):
        return take_generator_step(
            generator, critic, state, latents, kept, bce_generator_loss, LR
        )

    first_top, first_bottom = step(top), step(bottom)
    second_bottom, second_top = step(bottom), step(top)
    for network, original in ((generator, saved[0]), (critic, saved[1])):
        for parameter, before in zip(network.parameters(), original.parameters()):
            assert torch.equal(parameter, before) and parameter.grad is None
    assert_states_equal(state, saved[2])
    for first, second in ((first_top, second_top), (first_bottom, second_bottom)):
        assert all(map(torch.equal, first.parameters(), second.parameters()))


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> tuple[dict, str]:
    """A tiny trained session's checkpoint: (config, path)."""
    config = copy.deepcopy(SMALL_CONFIG)
    path = str(tmp_path_factory.mktemp("oracle") / "step.pt")
    session = TrainingSession(config, {"name": "topk", "topk_mode": "top"}, seed=0)
    session.train_chunk(json.dumps({"k_per_step": [48] * 6}))
    reply = json.loads(session.save_checkpoint(json.dumps({"path": path})))
    assert reply["step"] == 6, reply
    return config, path


def ask(checkpoint, **overrides) -> dict:
    config, path = checkpoint
    request = {
        "config": config,
        "checkpoint": path,
        "seed": 5,
        "batch_size": 128,
        "k": 32,
        "modes": ["top", "bottom", "random", "all"],
        "bins": 20,
        **overrides,
    }
    return parse_strict(oracle_direction(json.dumps(request)))


@pytest.mark.parametrize("optimiser", ["adam", "sgd"])
def test_when_a_checkpoint_is_analysed_then_every_arm_is_counted_in_full(
    checkpoint, optimiser
):
    reply = ask(checkpoint, optimiser=optimiser)
    assert "error" not in reply, reply
    assert reply["step"] == 6 and reply["optimiser"] == optimiser
    assert len(reply["histogram_edges"]) == 21 and reply["modes_total"] == 25
    assert list(reply["arms"]) == ["top", "bottom", "random", "all"]
    for name, arm in reply["arms"].items():
        assert arm["kept"] == (128 if name == "all" else 32)
        assert arm["used"]["samples"] == arm["kept"] and arm["all"]["samples"] == 128
        for group in (arm["used"], arm["all"]):
            assert_group_is_whole(group)


def assert_group_is_whole(group: dict) -> None:
    excluded = group["excluded_on_centre"] + group["excluded_zero_displacement"]
    assert group["count"] + excluded == group["samples"]
    assert sum(group["histogram"]) == group["count"] > 0
    assert -1 <= group["mean"] <= 1 and -1 <= group["median"] <= 1
    assert 0 <= group["std"] <= 1 and 0 <= group["positive_fraction"] <= 1
    assert group["positive_fraction"] + group["negative_fraction"] <= 1
    assert group["mean_displacement_norm"] > 0


def test_when_the_arms_are_reordered_then_each_arm_gives_the_same_numbers(
    checkpoint,
):
    forward = ask(checkpoint, modes=["top", "bottom"])["arms"]
    backward = ask(checkpoint, modes=["bottom", "top"])["arms"]
    assert forward == backward


def test_when_only_seed_and_k_are_given_then_defaults_apply_and_rng_is_kept(
    checkpoint,
):
    config, path = checkpoint
    before = torch.get_rng_state()
    request = {"config": config, "checkpoint": path, "seed": 0, "k": 8}
    result = analyse_checkpoint(request)
    assert torch.equal(torch.get_rng_state(), before)
    assert list(result["arms"]) == ["top", "bottom"] and result["batch_size"] == 64


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"modes": ["sideways"]}, "modes: expected names among top, bottom"),
        ({"k": 129}, "k: expected an integer [1, 128], got 129"),
        ({"optimiser": "rmsprop"}, 'optimiser: expected "adam" or "sgd"'),
        ({"lr": 0}, "lr: expected a positive number, got 0"),
    ],
)
def test_when_the_request_is_wrong_then_the_reply_names_the_field(
    checkpoint, overrides, message
):
    reply = ask(checkpoint, **overrides)
    assert reply["error"]["type"] == "ValueError"
    assert message in reply["error"]["message"]


def run_module(tmp_path, request) -> subprocess.CompletedProcess:
    request_path = tmp_path / "request.json"
    request_path.write_text(json.dumps(request))
    return subprocess.run(
        [sys.executable, "-m", "topkgan.analysis.oracle_direction", str(request_path)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )


def test_when_run_as_a_module_then_each_request_gets_its_answer_or_error(
    checkpoint, tmp_path
):
    config, path = checkpoint
    good = {"config": config, "checkpoint": path, "seed": 1, "k": 16}
    bad = {**good, "k": 0}
    done = run_module(tmp_path, {"analyses": [good, bad]})
    assert done.returncode == 0, done.stderr

    first, second = parse_strict(done.stdout)["results"]
    assert first == analyse_checkpoint(good)
    assert second["error"]["type"] == "ValueError"
    assert "k: expected an integer [1, 64], got 0" in second["error"]["message"]


def test_when_the_request_file_has_no_analyses_then_the_module_exits_2(tmp_path):
    done = run_module(tmp_path, {"checkpoint": "x.pt"})
    assert done.returncode == 2
    assert 'expected {"analyses": [...]}' in done.stderr
