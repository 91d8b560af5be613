import math

import pytest
import torch

from topkgan.losses.adversarial import get_losses

REAL = torch.tensor([2.0, -1.0])
FAKE = torch.tensor([0.5, -3.0])


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def test_bce_discriminator_loss_is_the_sum_of_two_softplus_means():
    loss_d, _ = get_losses("bce")
    expected = (softplus(-2) + softplus(1)) / 2 + (softplus(0.5) + softplus(-3)) / 2
    assert loss_d(REAL, FAKE).item() == pytest.approx(expected, rel=1e-6)


def test_bce_generator_loss_is_the_mean_of_softplus_minus_logit_over_kept():
    _, loss_g = get_losses("bce")
    expected = (softplus(-0.5) + softplus(3)) / 2
    assert loss_g(FAKE).item() == pytest.approx(expected, rel=1e-6)
    assert loss_g(FAKE[:1]).item() == pytest.approx(softplus(-0.5), rel=1e-6)


def test_hinge_discriminator_loss_uses_margins_of_one():
    loss_d, _ = get_losses("hinge")
    # real: relu(1-2)=0, relu(1+1)=2 -> 1; fake: relu(1.5)=1.5, relu(-2)=0 -> 0.75
    assert loss_d(REAL, FAKE).item() == pytest.approx(1.75)


def test_hinge_generator_loss_is_minus_the_mean_kept_logit():
    _, loss_g = get_losses("hinge")
    assert loss_g(FAKE).item() == pytest.approx(1.25)


def test_when_loss_kind_is_unknown_then_the_error_names_it():
    with pytest.raises(ValueError, match="'wgan'"):
        get_losses("wgan")
