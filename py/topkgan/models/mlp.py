"""Multi-layer perceptrons for the two-dimensional toys."""

import torch.nn as nn

DATA_DIM = 2


def create_generator(model: dict) -> nn.Sequential:
    """Map latents [B, latent_dim] to points [B, 2].

    `model` is the resolved `model` config; `layers` counts Linear layers.
    """
    return create_mlp(model["latent_dim"], model["hidden"], model["layers"], DATA_DIM)


def create_discriminator(model: dict) -> nn.Sequential:
    """Map points [B, 2] to one logit each, [B, 1]."""
    return create_mlp(DATA_DIM, model["hidden"], model["layers"], 1)


def create_mlp(inputs: int, hidden: int, layers: int, outputs: int) -> nn.Sequential:
    """`layers` Linear layers, `hidden` units wide, a ReLU after all but the last."""
    if layers < 1:
        raise ValueError(f"model.layers: expected at least 1, got {layers}")

    widths = [inputs] + [hidden] * (layers - 1) + [outputs]
    modules: list[nn.Module] = []
    for width_in, width_out in zip(widths[:-1], widths[1:]):
        modules += [nn.Linear(width_in, width_out), nn.ReLU()]
    return nn.Sequential(*modules[:-1])
