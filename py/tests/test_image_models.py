import pytest
import torch
import torch.nn as nn

from topkgan.models.image_gans import build_image_gan


def build_seeded(*args, seed=0, **kwargs):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_image_gan(*args, **kwargs)


@pytest.mark.parametrize(
    "kind, image_size, channels",
    [
        ("mlp", 28, 1),
        ("dcgan", 32, 1),
        ("dcgan", 32, 3),
        ("dcgan", 64, 1),
        ("dcgan", 64, 3),
    ],
)
def test_when_latents_go_through_the_pair_then_shapes_and_range_hold(
    kind, image_size, channels
):
    generator, discriminator = build_seeded(kind, image_size, channels, latent_dim=16)
    latents = torch.randn(5, 16, generator=torch.Generator().manual_seed(1))

    images = generator(latents)
    logits = discriminator(images)

    assert images.shape == (5, channels, image_size, image_size)
    assert images.min() >= -1 and images.max() <= 1
    assert images.std() > 0
    assert logits.shape == (5, 1)
    assert torch.isfinite(logits).all()


def get_linear_widths(module: nn.Module) -> list[tuple[int, int]]:
    return [
        (layer.in_features, layer.out_features)
        for layer in module.modules()
        if isinstance(layer, nn.Linear)
    ]


def get_out_channels(module: nn.Module) -> list[int]:
    return [m.out_channels for m in module.modules() if hasattr(m, "out_channels")]


def get_layer_names(module: nn.Module) -> list[str]:
    return [type(layer).__name__ for layer in module.net]


def test_when_an_mlp_gan_is_built_then_it_has_the_paper_widths():
    generator, discriminator = build_image_gan("mlp", 28, 1, latent_dim=100)

    assert get_linear_widths(generator) == [
        (100, 256),
        (256, 512),
        (512, 1024),
        (1024, 784),
    ]
    assert get_linear_widths(discriminator) == [
        (784, 1024),
        (1024, 512),
        (512, 256),
        (256, 1),
    ]
    assert get_layer_names(generator)[-1] == "Tanh"
    activations = [m for m in discriminator.modules() if isinstance(m, nn.LeakyReLU)]
    assert [m.negative_slope for m in activations] == [0.2] * 3


def test_when_a_dcgan_64_is_built_then_it_follows_radford_et_al():
    generator, discriminator = build_image_gan("dcgan", 64, 3, 100, width=64)

    assert get_layer_names(generator) == [
        *["ConvTranspose2d", "BatchNorm2d", "ReLU"] * 4,
        "ConvTranspose2d",
        "Tanh",
    ]
    assert get_out_channels(generator) == [512, 256, 128, 64, 3]
    assert get_layer_names(discriminator) == [
        "Conv2d",
        "LeakyReLU",
        *["Conv2d", "BatchNorm2d", "LeakyReLU"] * 3,
        "Conv2d",
        "Flatten",
    ]
    assert get_out_channels(discriminator) == [64, 128, 256, 512, 1]


def test_when_a_dcgan_32_is_built_then_it_has_one_stage_less():
    generator, discriminator = build_image_gan("dcgan", 32, 1, width=8)

    assert get_out_channels(generator) == [32, 16, 8, 1]
    assert get_out_channels(discriminator) == [8, 16, 32, 1]


def test_when_a_dcgan_is_built_then_weights_start_as_in_the_paper():
    generator, discriminator = build_seeded("dcgan", 64, 3)

    conv_weights = torch.cat(
        [
            module.weight.flatten()
            for net in (generator, discriminator)
            for module in net.modules()
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d))
        ]
    )
    norm_scales = torch.cat(
        [m.weight for m in generator.modules() if isinstance(m, nn.BatchNorm2d)]
    )
    assert conv_weights.std().item() == pytest.approx(0.02, rel=0.02)
    assert abs(conv_weights.mean().item()) < 1e-3
    assert norm_scales.mean().item() == pytest.approx(1.0, abs=0.01)


def test_when_the_seed_repeats_then_the_weights_repeat():
    first, _ = build_seeded("dcgan", 32, 3, seed=4)
    again, _ = build_seeded("dcgan", 32, 3, seed=4)
    other, _ = build_seeded("dcgan", 32, 3, seed=5)

    weights = [p for p in first.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(weights, again.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(weights, other.parameters()))


@pytest.mark.parametrize(
    "args, message",
    [
        (("gan", 32, 3), 'model.kind: expected "mlp" or "dcgan", got \'gan\''),
        (("dcgan", 28, 1), "model.image_size: dcgan needs 32 or 64, got 28"),
        (("dcgan", 32, 2), "model.channels: dcgan needs 1 or 3, got 2"),
        (("mlp", 0, 1), "build_image_gan: expected positive sizes, got image_size=0"),
    ],
)
def test_when_arguments_are_unsupported_then_the_error_names_them(args, message):
    with pytest.raises(ValueError) as error:
        build_image_gan(*args)

    assert str(error.value).startswith(message)
