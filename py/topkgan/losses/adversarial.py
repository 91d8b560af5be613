"""Adversarial losses. Logits are raw discriminator outputs, shape [B].

Each discriminator loss returns a scalar for the whole batch. Each generator
loss takes the logits of the fake samples that top-k selection KEPT and
returns their mean, so that the gradient is the mean over kept samples.
"""

from typing import Callable

import torch
import torch.nn.functional as F

LossPair = tuple[
    Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    Callable[[torch.Tensor], torch.Tensor],
]


def bce_discriminator_loss(
    real_logits: torch.Tensor, fake_logits: torch.Tensor
) -> torch.Tensor:
    """-log sigmoid(real) - log(1 - sigmoid(fake)), each term a batch mean."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def bce_generator_loss(kept_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating loss: mean of -log sigmoid(fake) over the kept samples."""
    return F.softplus(-kept_logits).mean()


def hinge_discriminator_loss(
    real_logits: torch.Tensor, fake_logits: torch.Tensor
) -> torch.Tensor:
    """relu(1 - real) + relu(1 + fake), each term a batch mean."""
    return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()


def hinge_generator_loss(kept_logits: torch.Tensor) -> torch.Tensor:
    """Mean of -fake over the kept samples."""
    return (-kept_logits).mean()


def get_losses(kind: str) -> LossPair:
    """Return (discriminator_loss, generator_loss) for `train.loss`."""
    if kind == "bce":
        return bce_discriminator_loss, bce_generator_loss
    if kind == "hinge":
        return hinge_discriminator_loss, hinge_generator_loss
    raise ValueError(f'train.loss: expected "bce" or "hinge", got {kind!r}')
