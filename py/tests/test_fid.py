import hashlib
import os
import warnings

import numpy as np
import pytest
import torch
import torch.nn as nn
import torchvision.transforms as TF
from PIL import Image
from pytorch_fid import fid_score
from pytorch_fid import inception as pytorch_fid_inception

from topkgan.metrics import fid


@pytest.fixture(autouse=True)
def torch_home(tmp_path, monkeypatch):
    """An empty TORCH_HOME, so no test reads or fills a real torch hub cache."""
    home = tmp_path / "torch-home"
    monkeypatch.setenv("TORCH_HOME", str(home))
    return home


def draw_images(n, channels=3, size=16, seed=0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n, channels, size, size, generator=generator) * 2 - 1


def save_pngs(images: torch.Tensor, folder) -> list:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, image in enumerate(fid.to_uint8(images)):
        array = image.permute(1, 2, 0).squeeze(2).numpy()
        paths.append(folder / f"{index:03d}.png")
        Image.fromarray(array).save(paths[-1])
    return paths


def read_like_pytorch_fid(paths) -> torch.Tensor:
    """What pytorch-fid's ImagePathDataset feeds Inception: RGB, ToTensor()."""
    return torch.stack([TF.ToTensor()(Image.open(p).convert("RGB")) for p in paths])


class ChannelMeans(nn.Module):
    """A fake Inception: the mean of each input channel as the features."""

    def forward(self, x):
        return [x.mean(dim=(2, 3), keepdim=True)]


# --- 8-bit pixels -----------------------------------------------------------


def test_when_pixels_are_quantised_then_the_documented_values_come_out():
    pixels = torch.tensor([-1, -0.5, -0.01, 0, 0.5, 1], dtype=torch.float32)

    u8 = fid.to_uint8(pixels)

    assert u8.dtype == torch.uint8
    assert u8.tolist() == [0, 64, 126, 128, 191, 255]


def test_when_pixels_leave_the_range_then_they_are_clipped():
    assert fid.to_uint8(torch.tensor([-3.0, -1.001, 1.001, 7.0])).tolist() == [
        0,
        0,
        255,
        255,
    ]


def test_when_8_bit_values_go_to_pixels_and_back_then_each_is_unchanged():
    u8 = torch.arange(256, dtype=torch.uint8)

    pixels = u8.to(torch.float32) / 127.5 - 1

    assert torch.equal(fid.to_uint8(pixels), u8)


def test_when_a_pixel_is_not_finite_then_to_uint8_raises():
    with pytest.raises(ValueError, match="expected finite pixels"):
        fid.to_uint8(torch.tensor([0.0, float("nan")]))


def test_when_rgb_images_are_prepared_then_they_match_totensor_of_the_png(tmp_path):
    images = draw_images(2, channels=3, size=9)
    paths = save_pngs(images, tmp_path)

    prepared = fid.to_inception_input(images)

    from_files = read_like_pytorch_fid(paths)
    assert prepared.dtype == torch.float32
    assert torch.equal(prepared, from_files)


def test_when_grayscale_images_are_prepared_then_three_equal_channels_come_out(
    tmp_path,
):
    images = draw_images(2, channels=1, size=9)
    paths = save_pngs(images, tmp_path)

    prepared = fid.to_inception_input(images)

    from_files = read_like_pytorch_fid(paths)
    assert prepared.shape == (2, 3, 9, 9)
    assert torch.equal(prepared, from_files)
    assert torch.equal(prepared[:, 0], prepared[:, 2])


def test_when_images_have_two_channels_then_to_inception_input_raises():
    with pytest.raises(ValueError, match=r"expected \[N, 1 or 3, H, W\], got shape"):
        fid.to_inception_input(torch.zeros(1, 2, 4, 4))


# --- the distance against closed forms --------------------------------------


def random_covariance(d, seed, rank=None) -> np.ndarray:
    factor = np.random.default_rng(seed).normal(size=(d, rank or d))
    return factor @ factor.T


def trace_sqrt_product(sigma1, sigma2) -> float:
    """Tr sqrt(sigma1 sigma2) as the sum of sqrt of the eigenvalues of
    sqrt(sigma1) sigma2 sqrt(sigma1), a similar symmetric matrix (eigh only)."""
    values, vectors = np.linalg.eigh(sigma1)
    root = vectors @ np.diag(np.sqrt(np.clip(values, 0, None))) @ vectors.T
    product_values = np.linalg.eigvalsh(root @ sigma2 @ root)
    return float(np.sum(np.sqrt(np.clip(product_values, 0, None))))


def test_when_statistics_are_identical_then_the_distance_is_zero():
    mu, sigma = np.arange(5.0), random_covariance(5, seed=1)

    distance = fid.frechet_distance(mu, sigma, mu, sigma)

    assert type(distance) is float
    assert distance == pytest.approx(0.0, abs=1e-9)
    assert distance >= 0


def test_when_only_the_means_differ_then_the_distance_is_their_squared_gap():
    sigma = random_covariance(4, seed=2)
    mu1, mu2 = np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.0, 2.0, 5.0, 3.5])

    distance = fid.frechet_distance(mu1, sigma, mu2, sigma)

    assert distance == pytest.approx(1 + 0 + 4 + 0.25, rel=1e-9)


def test_when_covariances_are_diagonal_then_the_distance_has_a_closed_form():
    s1, s2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 4.0, 1.0])
    mu1, mu2 = np.zeros(3), np.array([1.0, 0.0, -2.0])

    distance = fid.frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2))

    # sum((sqrt(s1) - sqrt(s2))^2) + ||mu1 - mu2||^2 = (1 + 0 + 4) + 5
    assert distance == pytest.approx(10.0, rel=1e-9)


def test_when_2x2_covariances_are_full_then_the_distance_matches_by_hand():
    sigma1 = np.array([[2.0, 1.0], [1.0, 2.0]])
    sigma2 = np.array([[1.0, -0.5], [-0.5, 3.0]])
    mu1, mu2 = np.array([0.5, 0.0]), np.array([0.0, 1.0])

    distance = fid.frechet_distance(mu1, sigma1, mu2, sigma2)

    # for a 2x2 matrix M with positive eigenvalues, Tr sqrt(M) equals
    # sqrt(Tr M + 2 sqrt(det M)); s1 s2 = [[1.5, 2], [0, 5.5]], det = 3 * 2.75
    trace_root = np.sqrt(7.0 + 2 * np.sqrt(3.0 * 2.75))
    expected = 1.25 + 4.0 + 4.0 - 2 * trace_root
    assert distance == pytest.approx(expected, rel=1e-9)


def test_when_covariances_are_general_then_the_distance_matches_an_eigh_formula():
    sigma1, sigma2 = random_covariance(6, seed=3), random_covariance(6, seed=4)
    mu1, mu2 = np.full(6, 0.5), np.linspace(-1, 1, 6)

    distance = fid.frechet_distance(mu1, sigma1, mu2, sigma2)

    expected = (
        np.sum((mu1 - mu2) ** 2)
        + np.trace(sigma1)
        + np.trace(sigma2)
        - 2 * trace_sqrt_product(sigma1, sigma2)
    )
    assert distance == pytest.approx(expected, rel=1e-8)


def test_when_rank_deficient_statistics_are_identical_then_round_off_is_clamped():
    # 10 samples in 64 dimensions, as with few images: sigma has rank 9
    features = np.random.default_rng(0).normal(size=(10, 64))
    mu, sigma = fid.compute_statistics(features)

    raw = fid.call_pytorch_fid(mu, sigma, mu, sigma)
    distance = fid.frechet_distance(mu, sigma, mu, sigma)

    assert raw < 0
    assert distance == 0.0


def test_when_both_covariances_are_zero_then_the_distance_is_the_mean_gap_silently():
    zeros = np.zeros((3, 3))

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        distance = fid.frechet_distance(np.zeros(3), zeros, np.ones(3), zeros)

    assert distance == 3.0


def test_when_inputs_are_not_covariances_then_a_negative_distance_raises():
    minus_identity = -np.eye(2)

    with pytest.raises(ValueError, match="came out negative, -8 at scale -4"):
        fid.frechet_distance(np.zeros(2), minus_identity, np.zeros(2), minus_identity)


@pytest.mark.parametrize(
    "mu2, sigma2, message",
    [
        (np.zeros(3), np.eye(3), "statistics of different sizes, 2 and 3"),
        (np.zeros(2), np.eye(3), r"second statistics: expected mu \[D\], sigma \["),
        (np.array([0, np.nan]), np.eye(2), "second statistics: expected finite values"),
    ],
)
def test_when_statistics_are_malformed_then_the_distance_raises(mu2, sigma2, message):
    with pytest.raises(ValueError, match=message):
        fid.frechet_distance(np.zeros(2), np.eye(2), mu2, sigma2)


def test_when_features_are_summarised_then_mean_and_unbiased_covariance_come_out():
    features = np.array([[1.0, 2.0], [3.0, 2.0], [5.0, 8.0]])

    mu, sigma = fid.compute_statistics(features)

    np.testing.assert_allclose(mu, [3.0, 4.0])
    # deviations (-2, -2), (0, -2), (2, 4), summed products over N - 1 = 2
    np.testing.assert_allclose(sigma, [[4.0, 6.0], [6.0, 12.0]])
    with pytest.raises(ValueError, match=r"expected \[N >= 2, D\], got shape \[1, 2\]"):
        fid.compute_statistics(features[:1])


def test_when_samples_are_fewer_than_dimensions_then_a_warning_text_comes_back():
    text = fid.warn_if_few_samples(500)

    assert text.startswith("FID from 500 samples, fewer than the 2048 feature")
    assert fid.warn_if_few_samples(2048) is None
    assert fid.warn_if_few_samples(10, dims=8) is None


# --- the Inception network --------------------------------------------------


def test_when_torch_home_has_no_weights_then_loading_raises_and_names_the_path(
    torch_home,
):
    expected = torch_home / "hub" / "checkpoints" / fid.WEIGHTS_FILE_NAME

    with pytest.raises(fid.FidWeightsMissing) as error:
        fid.load_inception("pytorch-fid")

    message = str(error.value)
    assert message.startswith(f"FID Inception weights not found: expected {expected}.")
    assert "Nothing is downloaded at run time" in message
    assert isinstance(error.value, FileNotFoundError)
    assert not torch_home.exists()


def test_when_weights_are_neither_a_name_nor_a_file_then_loading_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="expected \"pytorch-fid\", \"random"):
        fid.load_inception(str(tmp_path / "missing.pth"))


def test_when_the_architecture_is_built_then_pytorch_fid_loads_its_weights_strictly(
    monkeypatch,
):
    ours = fid.create_fid_architecture(None)
    state_dict = ours.state_dict()
    monkeypatch.setattr(
        pytorch_fid_inception,
        "load_state_dict_from_url",
        lambda url, progress=True: state_dict,
    )

    theirs = pytorch_fid_inception.fid_inception_v3()

    assert [(name, type(m)) for name, m in ours.named_modules()] == [
        (name, type(m)) for name, m in theirs.named_modules()
    ]
    for name, tensor in theirs.state_dict().items():
        assert torch.equal(tensor, state_dict[name]), name


def test_when_a_weights_file_is_not_the_standard_one_then_its_id_says_so(torch_home):
    state_dict = fid.create_fid_architecture(None).state_dict()
    path = torch_home / "hub" / "checkpoints" / fid.WEIGHTS_FILE_NAME
    path.parent.mkdir(parents=True)
    torch.save(state_dict, path)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()

    model, weights_id = fid.load_inception("pytorch-fid")

    assert weights_id == f"file:{sha256[:16]}"
    assert fid.get_weights_id(path) == weights_id
    assert not fid.is_standard_weights(weights_id)
    assert not model.training
    first_conv = model.blocks[0][0].conv.weight
    assert torch.equal(first_conv, state_dict["Conv2d_1a_3x3.conv.weight"])


def test_when_a_file_hashes_like_the_standard_one_then_its_id_is_standard(
    tmp_path, monkeypatch
):
    path = tmp_path / "weights.pth"
    path.write_bytes(b"stand-in for the weights")
    prefix = hashlib.sha256(b"stand-in for the weights").hexdigest()[:8]
    monkeypatch.setattr(fid, "STANDARD_SHA256_PREFIX", prefix)

    weights_id = fid.get_weights_id(path)

    assert weights_id == fid.STANDARD_WEIGHTS_ID
    assert fid.is_standard_weights(weights_id)


def test_when_random_weights_are_asked_for_then_they_are_seeded_and_labelled():
    first, weights_id = fid.load_inception("random-for-tests", seed=3)
    again, _ = fid.load_inception("random-for-tests", seed=3)
    other, _ = fid.load_inception("random-for-tests", seed=4)

    def get_weight(model):
        return model.blocks[3][0].branch3x3_1.conv.weight

    assert weights_id == "random-for-tests"
    assert not fid.is_standard_weights(weights_id)
    assert torch.equal(get_weight(first), get_weight(again))
    assert not torch.equal(get_weight(first), get_weight(other))


def test_when_images_go_in_memory_or_through_pngs_then_statistics_agree(tmp_path):
    images = draw_images(4, channels=3, size=16, seed=5)
    paths = save_pngs(images, tmp_path / "pngs")
    model, _ = fid.load_inception("random-for-tests", seed=0)

    mu_files, sigma_files = fid_score.calculate_activation_statistics(
        paths, model, batch_size=2, dims=2048, device="cpu", num_workers=0
    )
    activations = fid.compute_activations(images, model, batch_size=2)
    mu, sigma = fid.compute_statistics(activations)

    assert activations.shape == (4, 2048) and activations.dtype == np.float64
    assert activations.std(axis=0).mean() > 1e-3
    np.testing.assert_allclose(mu, mu_files, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(sigma, sigma_files, rtol=1e-6, atol=1e-12)


# --- features in batches, with a fake Inception -----------------------------


def test_when_images_come_in_chunks_then_features_equal_one_tensor(monkeypatch):
    monkeypatch.setattr(fid, "DIMS", 3)
    images = draw_images(7, channels=1, size=5)

    whole = fid.compute_activations(images, ChannelMeans(), batch_size=2)
    chunked = fid.compute_activations(iter(images.split(3)), ChannelMeans(), 2)

    expected = fid.to_uint8(images).double().div(255).mean(dim=(2, 3)).repeat(1, 3)
    np.testing.assert_allclose(whole, expected.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(whole, chunked)
    with pytest.raises(ValueError, match="expected images, got none"):
        fid.compute_activations(iter([]), ChannelMeans())


def test_when_a_folder_meets_statistics_then_fid_uses_the_folder_features(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(fid, "DIMS", 3)
    monkeypatch.setattr(fid, "load_inception", lambda *a: (ChannelMeans(), "fake"))
    paths = save_pngs(draw_images(5, seed=7), tmp_path / "images")
    features = np.stack([np.asarray(Image.open(p)).mean((0, 1)) / 255 for p in paths])
    mu_b, sigma_b = np.array([0.4, 0.5, 0.6]), np.diag([0.01, 0.02, 0.03])
    stats = tmp_path / "reference.npz"
    np.savez(stats, mu=mu_b, sigma=sigma_b, weights_id="fake", count="100")

    result = fid.fid_between_folders_or_stats(tmp_path / "images", stats, "any", 2)

    mu_a, sigma_a = features.mean(axis=0), np.cov(features, rowvar=False)
    expected = (
        np.sum((mu_a - mu_b) ** 2)
        + np.trace(sigma_a)
        + np.trace(sigma_b)
        - 2 * trace_sqrt_product(sigma_a, sigma_b)
    )
    assert result.fid == pytest.approx(expected, rel=1e-6)
    assert result.weights_id == "fake"
    assert result.counts == (5, 100)
    assert [note[:21] for note in result.notes] == [
        "FID from 5 samples, f",
        "FID from 100 samples,",
    ]


def test_when_two_statistics_files_meet_then_no_model_is_loaded(tmp_path, monkeypatch):
    monkeypatch.setattr(fid, "load_inception", lambda *a: pytest.fail("loaded"))
    np.savez(tmp_path / "a.npz", mu=np.zeros(2), sigma=np.diag([1.0, 4.0]))
    np.savez(tmp_path / "b.npz", mu=np.ones(2), sigma=np.diag([4.0, 4.0]))

    result = fid.fid_between_folders_or_stats(tmp_path / "a.npz", tmp_path / "b.npz")

    assert result.fid == pytest.approx(2 + 1 + 0)
    assert result.weights_id == fid.STANDARD_WEIGHTS_ID
    assert result.counts == (None, None)


def test_when_statistics_come_from_different_weights_then_fid_refuses(tmp_path):
    np.savez(tmp_path / "a.npz", mu=np.zeros(2), sigma=np.eye(2), weights_id="x")
    np.savez(tmp_path / "b.npz", mu=np.zeros(2), sigma=np.eye(2))

    with pytest.raises(ValueError, match="expected one Inception for both sides"):
        fid.fid_between_folders_or_stats(tmp_path / "a.npz", tmp_path / "b.npz")


# --- the statistics cache ---------------------------------------------------


def test_when_statistics_are_cached_then_the_second_call_reads_the_file(tmp_path):
    cache = fid.StatisticsCache(tmp_path / "stats")
    mu, sigma = np.arange(3.0), random_covariance(3, seed=6)
    calls = []

    def compute():
        calls.append(1)
        return mu, sigma

    key = ("cifar10", "train", 50000, "random-for-tests")
    first = cache.get_or_compute(*key, compute)
    second = cache.get_or_compute(*key, compute)

    assert len(calls) == 1
    np.testing.assert_array_equal(second[0], mu)
    np.testing.assert_array_equal(second[1], sigma)
    assert [np.array_equal(a, b) for a, b in zip(first, second)] == [True, True]
    assert [p.name for p in (tmp_path / "stats").iterdir()] == [
        cache.get_path(*key).name
    ]


def test_when_any_part_of_the_key_differs_then_the_cache_misses(tmp_path):
    cache = fid.StatisticsCache(tmp_path)
    cache.save("mnist", "train", 100, "random-for-tests", np.zeros(2), np.eye(2))

    assert cache.load("mnist", "train", 100, "random-for-tests") is not None
    assert cache.load("mnist", "test", 100, "random-for-tests") is None
    assert cache.load("mnist", "train", 101, "random-for-tests") is None
    assert cache.load("mnist", "train", 100, fid.STANDARD_WEIGHTS_ID) is None
    assert cache.load("cifar10", "train", 100, "random-for-tests") is None


def test_when_a_cache_file_is_written_then_pytorch_fid_can_read_it(tmp_path):
    cache = fid.StatisticsCache(tmp_path)
    mu, sigma = np.arange(4.0), random_covariance(4, seed=7)

    path = cache.save("mnist", "test", 10000, "file:abc", mu, sigma)
    read_mu, read_sigma = fid_score.compute_statistics_of_path(
        str(path), None, 50, 2048, "cpu"
    )

    assert path.name.startswith("mnist-test-10000-file_abc-")
    np.testing.assert_array_equal(read_mu, mu)
    np.testing.assert_array_equal(read_sigma, sigma)


def test_when_writing_fails_midway_then_the_old_file_stays_and_no_temp_is_left(
    tmp_path, monkeypatch
):
    cache = fid.StatisticsCache(tmp_path)
    path = cache.save("mnist", "train", 10, "random-for-tests", np.zeros(2), np.eye(2))
    before = path.read_bytes()

    def fail_midway(file, **arrays):
        file.write(b"PK\x03\x04 half an archive")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", fail_midway)
    with pytest.raises(OSError, match="disk full"):
        cache.save("mnist", "train", 10, "random-for-tests", np.ones(2), np.eye(2))

    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == [path.name]


def test_when_a_file_holds_another_key_then_loading_it_raises(tmp_path):
    cache = fid.StatisticsCache(tmp_path)
    path = cache.save("mnist", "train", 10, "random-for-tests", np.zeros(2), np.eye(2))
    other = cache.get_path("mnist", "train", 11, "random-for-tests")
    path.rename(other)

    with pytest.raises(ValueError, match="holds statistics for"):
        cache.load("mnist", "train", 11, "random-for-tests")
