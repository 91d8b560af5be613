"""Generators and discriminators for images: an MLP GAN and a DCGAN.

Every generator maps latents [N, latent_dim] to images [N, C, H, W] in
[-1, 1] (tanh), the pixel convention of `topkgan.data.images`. Every
discriminator maps images [N, C, H, W] to one raw logit each, [N, 1], as
the toy discriminators in `models/mlp.py` do.

Weights are drawn from the global torch RNG: seed it inside
`torch.random.fork_rng`, as `train.session.create_networks` does.
"""

import math

import torch
import torch.nn as nn

KINDS = ("mlp", "dcgan")
DCGAN_SIZES = (32, 64)
DCGAN_CHANNELS = (1, 3)
DEFAULT_WIDTH = {"mlp": 256, "dcgan": 64}

# slope of every LeakyReLU here, from Radford et al. (2016)
LEAKY_SLOPE = 0.2


def build_image_gan(
    kind: str,
    image_size: int,
    channels: int,
    latent_dim: int = 100,
    width: int | None = None,
) -> tuple[nn.Module, nn.Module]:
    """Return (generator, discriminator) for square images.

    kind: "mlp" (widths width, 2 * width, 4 * width; default width 256, so
    latent -> 256 -> 512 -> 1024 -> pixels for 28x28 grayscale) or "dcgan"
    (Radford et al. 2016; `width` is the feature maps of the outermost
    layers, default 64; image_size 32 or 64, channels 1 or 3).
    """
    if kind not in KINDS:
        raise ValueError(f'model.kind: expected "mlp" or "dcgan", got {kind!r}')
    if image_size < 1 or channels < 1 or latent_dim < 1:
        found = f"image_size={image_size}, channels={channels}, latent_dim={latent_dim}"
        raise ValueError(f"build_image_gan: expected positive sizes, got {found}")

    width = DEFAULT_WIDTH[kind] if width is None else width
    if kind == "mlp":
        shape = (channels, image_size, image_size)
        return MlpGenerator(latent_dim, width, shape), MlpDiscriminator(width, shape)
    return create_dcgan(image_size, channels, latent_dim, width)


class MlpGenerator(nn.Module):
    """Latents [N, latent_dim] to images [N, *shape] in [-1, 1]."""

    def __init__(self, latent_dim: int, width: int, shape: tuple[int, int, int]):
        super().__init__()
        self.shape = shape
        widths = [latent_dim, width, 2 * width, 4 * width]
        layers: list[nn.Module] = []
        for width_in, width_out in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(width_in, width_out), nn.LeakyReLU(LEAKY_SLOPE)]
        layers += [nn.Linear(widths[-1], math.prod(shape)), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        return self.net(latents).view(len(latents), *self.shape)


class MlpDiscriminator(nn.Module):
    """Images [N, *shape] to logits [N, 1]; the generator's mirror."""

    def __init__(self, width: int, shape: tuple[int, int, int]):
        super().__init__()
        widths = [math.prod(shape), 4 * width, 2 * width, width]
        layers: list[nn.Module] = [nn.Flatten()]
        for width_in, width_out in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(width_in, width_out), nn.LeakyReLU(LEAKY_SLOPE)]
        layers.append(nn.Linear(widths[-1], 1))
        self.net = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images)


def create_dcgan(
    image_size: int, channels: int, latent_dim: int, width: int
) -> tuple[nn.Module, nn.Module]:
    """DCGAN pair; feature maps double at each halving of the resolution."""
    if image_size not in DCGAN_SIZES:
        raise ValueError(f"model.image_size: dcgan needs 32 or 64, got {image_size}")
    if channels not in DCGAN_CHANNELS:
        raise ValueError(f"model.channels: dcgan needs 1 or 3, got {channels}")

    # 4x4 after the first layer, then one doubling per layer up to image_size
    doublings = int(math.log2(image_size // 4))
    widths = [width * 2**i for i in reversed(range(doublings))]
    generator = DcganGenerator(latent_dim, widths, channels)
    discriminator = DcganDiscriminator(list(reversed(widths)), channels)
    generator.apply(init_dcgan_weights)
    discriminator.apply(init_dcgan_weights)
    return generator, discriminator


class DcganGenerator(nn.Module):
    """Latents [N, latent_dim] to images [N, channels, S, S] in [-1, 1].

    `widths` are the feature maps from the 4x4 layer outwards, e.g.
    [512, 256, 128, 64] for S = 64 (S = 4 * 2 ** len(widths)).
    """

    def __init__(self, latent_dim: int, widths: list[int], channels: int):
        super().__init__()
        layers = [*up_block(latent_dim, widths[0], stride=1, padding=0)]
        for width_in, width_out in zip(widths[:-1], widths[1:]):
            layers += up_block(width_in, width_out, stride=2, padding=1)
        layers += [nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1, bias=False)]
        self.net = nn.Sequential(*layers, nn.Tanh())

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        return self.net(latents.view(*latents.shape, 1, 1))


def up_block(width_in: int, width_out: int, stride: int, padding: int) -> list:
    """ConvTranspose (kernel 4) + BatchNorm + ReLU."""
    return [
        nn.ConvTranspose2d(width_in, width_out, 4, stride, padding, bias=False),
        nn.BatchNorm2d(width_out),
        nn.ReLU(),
    ]


class DcganDiscriminator(nn.Module):
    """Images [N, channels, S, S] to logits [N, 1].

    `widths` run from the image inwards, e.g. [64, 128, 256, 512] for
    S = 64; no BatchNorm after the first convolution, as in the paper.
    """

    def __init__(self, widths: list[int], channels: int):
        super().__init__()
        layers = [nn.Conv2d(channels, widths[0], 4, 2, 1, bias=False)]
        layers.append(nn.LeakyReLU(LEAKY_SLOPE))
        for width_in, width_out in zip(widths[:-1], widths[1:]):
            layers += down_block(width_in, width_out)
        layers += [nn.Conv2d(widths[-1], 1, 4, 1, 0, bias=False), nn.Flatten()]
        self.net = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images)


def down_block(width_in: int, width_out: int) -> list:
    """Conv (kernel 4, stride 2) + BatchNorm + LeakyReLU."""
    return [
        nn.Conv2d(width_in, width_out, 4, 2, 1, bias=False),
        nn.BatchNorm2d(width_out),
        nn.LeakyReLU(LEAKY_SLOPE),
    ]


def init_dcgan_weights(module: nn.Module) -> None:
    """Radford et al.: conv weights N(0, 0.02); BatchNorm scale N(1, 0.02), shift 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    if isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
