"""Frechet Inception Distance through pytorch-fid, computed from tensors.

The stages are pytorch-fid's, each its own function: 8-bit pixels, the
Inception pool features (2048-d), their mean and covariance, and the
Frechet distance between two Gaussians. Images never go through files,
but the preprocessing is the one pytorch-fid applies to a PNG: uint8 RGB,
/ 255 into [0, 1], then InceptionV3(resize_input=True,
normalize_input=True), which resizes bilinearly to 299x299 and maps to
[-1, 1]. So a number from here equals pytorch-fid's on the same PNGs.

Nothing here downloads anything. Only the standard weights file gives a
number that may be reported as FID; every other choice carries a
`weights_id` that says so (see `is_standard_weights`).
"""

import contextlib
import dataclasses
import functools
import hashlib
import io
import math
import os
import pathlib
import tempfile
import warnings
from typing import Callable, Iterable
from unittest import mock

import numpy as np
import pytorch_fid.inception as fid_inception
import torch
import torch.nn as nn
from pytorch_fid.fid_score import calculate_frechet_distance
from pytorch_fid.inception import InceptionV3

from topkgan.data.images import read_image_files, scan_image_folder
from topkgan.train import process_control

DIMS = 2048
STANDARD_WEIGHTS = "pytorch-fid"
RANDOM_WEIGHTS = "random-for-tests"
WEIGHTS_FILE_NAME = "pt_inception-2015-12-05-6726825d.pth"
STANDARD_WEIGHTS_ID = "pytorch-fid:pt_inception-2015-12-05-6726825d"
# torch hub names a file after the start of its sha256; so does pytorch-fid's
STANDARD_SHA256_PREFIX = "6726825d"

# a negative distance within this share of its scale is round-off: sqrtm of a
# singular 2048-d product gave about -5e-7 of it for identical statistics
NEGATIVE_ROUND_OFF = 1e-4


class FidWeightsMissing(FileNotFoundError):
    """pytorch-fid's Inception weights are not where torch hub keeps them."""

    is_input_error = True


@dataclasses.dataclass
class FidResult:
    """A distance and where it came from.

    fid: the Frechet distance, >= 0.
    weights_id: the Inception weights behind both sides; a FID column may
    hold `fid` only when `is_standard_weights(weights_id)`.
    counts: images (or recorded samples) on each side; None where unknown.
    notes: warnings to show with the number (too few samples).
    """

    fid: float
    weights_id: str
    counts: tuple[int | None, int | None]
    notes: list[str]


# --- 8-bit pixels -----------------------------------------------------------


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Map pixels in [-1, 1] (any shape) to uint8 as a PNG would store them.

    u8 = floor((x + 1) / 2 * 255 + 0.5), clipped to [0, 255]: halves round
    up (torch.round would send 126.5 to 126). Computed in float64, so
    u8 / 127.5 - 1 comes back to the same u8. Non-finite pixels raise.
    """
    if not torch.isfinite(images).all():
        raise ValueError("to_uint8: expected finite pixels, found NaN or infinity")

    scaled = (images.detach().to(torch.float64) + 1) / 2 * 255
    return torch.floor(scaled + 0.5).clamp(0, 255).to(torch.uint8)


def to_inception_input(images: torch.Tensor) -> torch.Tensor:
    """Images [N, 1 or 3, H, W] in [-1, 1] to float32 [N, 3, H, W] in [0, 1].

    Each value is a multiple of 1 / 255, as ToTensor() makes of a PNG;
    grayscale is repeated into three equal channels, as PIL's
    convert("RGB") does.
    """
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        found = list(images.shape)
        raise ValueError(f"images: expected [N, 1 or 3, H, W], got shape {found}")

    pixels = to_uint8(images).to(torch.float32).div(255)
    return pixels.repeat(1, 3, 1, 1) if pixels.shape[1] == 1 else pixels


# --- the Inception network --------------------------------------------------


def load_inception(
    weights: str = STANDARD_WEIGHTS, device: str | torch.device = "cpu", seed: int = 0
) -> tuple[InceptionV3, str]:
    """Return (pytorch-fid's InceptionV3 for 2048-d pool features, weights_id).

    weights:
    - "pytorch-fid": pytorch-fid's file WEIGHTS_FILE_NAME from
      `$TORCH_HOME/hub/checkpoints/`; raises FidWeightsMissing without it.
    - a path to a state dict for pytorch-fid's FID Inception architecture;
      weights_id is STANDARD_WEIGHTS_ID when its sha256 starts as the
      standard file's does, else "file:<first 16 hex of its sha256>".
    - "random-for-tests": random weights from `seed` (Kaiming-normal
      convolutions, so features do not vanish); for plumbing tests only.
    The model is in eval mode, on `device`, without gradients.
    """
    if weights == RANDOM_WEIGHTS:
        return create_inception(None, seed).to(device), RANDOM_WEIGHTS

    path = get_standard_weights_path() if weights == STANDARD_WEIGHTS else None
    if path is not None and not path.is_file():
        raise FidWeightsMissing(describe_missing_weights(path))

    path = path or pathlib.Path(weights)
    if not path.is_file():
        expected = f'"{STANDARD_WEIGHTS}", "{RANDOM_WEIGHTS}" or a weights file'
        raise FileNotFoundError(f"fid weights: expected {expected}, got {weights!r}")

    try:
        state_dict = torch.load(path, map_location="cpu", weights_only=True)
        model = create_inception(state_dict, seed)
    except Exception as error:
        # torch's own text suggests unsafe loading; this names the real problem
        found = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
        raise ValueError(
            f"fid weights {path}: not a state dict of pytorch-fid's Inception ({found})"
        ) from error
    return model.to(device), get_weights_id(path)


def get_standard_weights_path() -> pathlib.Path:
    """Where torch hub (and so pytorch-fid) keeps the standard weights."""
    return pathlib.Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_FILE_NAME


def describe_missing_weights(path: pathlib.Path) -> str:
    return (
        f"FID Inception weights not found: expected {path}. Nothing is downloaded "
        f"at run time. Copy pytorch-fid's {WEIGHTS_FILE_NAME} there (fetch it where "
        f"there is network from {fid_inception.FID_WEIGHTS_URL}), set TORCH_HOME to "
        "a folder whose hub/checkpoints/ holds it, or pass the file's path as weights."
    )


def get_weights_id(path: pathlib.Path) -> str:
    """STANDARD_WEIGHTS_ID for pytorch-fid's file, else "file:<sha256 prefix>"."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)

    sha256 = digest.hexdigest()
    if sha256.startswith(STANDARD_SHA256_PREFIX):
        return STANDARD_WEIGHTS_ID
    return f"file:{sha256[:16]}"


def is_standard_weights(weights_id: str | None) -> bool:
    """Whether a number made with these weights may be reported as FID."""
    return weights_id == STANDARD_WEIGHTS_ID


def create_inception(state_dict: dict | None, seed: int) -> InceptionV3:
    """pytorch-fid's InceptionV3 (pool features), built without its download.

    InceptionV3() calls pytorch-fid's fid_inception_v3(), which fetches the
    weights by URL; it is swapped, only while the model is built, for
    `create_fid_architecture`, and the URL loader for one that refuses.
    """
    block = InceptionV3.BLOCK_INDEX_BY_DIM[DIMS]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        network = create_fid_architecture(state_dict)
        with mock.patch.object(fid_inception, "fid_inception_v3", lambda: network):
            with mock.patch.object(
                fid_inception, "load_state_dict_from_url", refuse_download
            ):
                model = InceptionV3([block])
    return model.eval()


def create_fid_architecture(state_dict: dict | None) -> nn.Module:
    """pytorch-fid's fid_inception_v3() without the download.

    With a state dict it is loaded strictly; without one the convolutions
    get Kaiming-normal weights (torchvision's defaults shrink the features
    to about 1e-8 by the pool layer).
    """
    network = fid_inception._inception_v3(
        num_classes=1008, aux_logits=False, weights=None
    )
    network.Mixed_5b = fid_inception.FIDInceptionA(192, pool_features=32)
    network.Mixed_5c = fid_inception.FIDInceptionA(256, pool_features=64)
    network.Mixed_5d = fid_inception.FIDInceptionA(288, pool_features=64)
    network.Mixed_6b = fid_inception.FIDInceptionC(768, channels_7x7=128)
    network.Mixed_6c = fid_inception.FIDInceptionC(768, channels_7x7=160)
    network.Mixed_6d = fid_inception.FIDInceptionC(768, channels_7x7=160)
    network.Mixed_6e = fid_inception.FIDInceptionC(768, channels_7x7=192)
    network.Mixed_7b = fid_inception.FIDInceptionE_1(1280)
    network.Mixed_7c = fid_inception.FIDInceptionE_2(2048)

    if state_dict is not None:
        network.load_state_dict(state_dict)
        return network
    for module in network.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
    return network


def refuse_download(url: str, *args, **kwargs):
    raise RuntimeError(f"fid: refusing to download {url}; no run-time downloads")


# --- features and statistics ------------------------------------------------


def compute_activations(
    images_or_batches: torch.Tensor | Iterable[torch.Tensor],
    model: InceptionV3,
    batch_size: int = 50,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """Inception pool features of images, float64 [N, 2048].

    images_or_batches: one tensor [N, C, H, W] in [-1, 1] with C = 1 or 3,
    or an iterable of such tensors (e.g. generator samples made on the
    fly); each is fed to the model in batches of at most `batch_size`.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size: expected at least 1, got {batch_size}")

    chunks = images_or_batches
    if isinstance(images_or_batches, torch.Tensor):
        chunks = [images_or_batches]

    model.eval()
    features = [
        get_batch_activations(batch, model, device)
        for chunk in chunks
        for batch in chunk.split(batch_size)
    ]
    if not features:
        raise ValueError("compute_activations: expected images, got none")
    return np.concatenate(features).astype(np.float64)


def get_batch_activations(
    images: torch.Tensor, model: InceptionV3, device: str | torch.device
) -> np.ndarray:
    """Pool features of one batch, float32 [n, 2048]."""
    # a 10,000-image FID on a CPU takes many minutes: show the run is alive
    process_control.beat()
    with torch.no_grad():
        features = model(to_inception_input(images).to(device))[0]

    if features.shape[1:] != (DIMS, 1, 1):
        found = list(features.shape)
        raise ValueError(f"inception: expected features [n, {DIMS}, 1, 1], got {found}")
    return features.flatten(1).cpu().numpy()


def compute_statistics(activations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean mu [D] and covariance sigma [D, D] of features [N, D], N >= 2.

    sigma is the unbiased sample covariance (divides by N - 1), as
    pytorch-fid's np.cov(rowvar=False).
    """
    if activations.ndim != 2 or len(activations) < 2:
        found = list(activations.shape)
        raise ValueError(f"activations: expected [N >= 2, D], got shape {found}")

    mu = np.mean(activations, axis=0)
    sigma = np.cov(activations, rowvar=False)
    return mu, sigma


def warn_if_few_samples(n: int, dims: int = DIMS) -> str | None:
    """A warning text when n < dims, else None.

    With fewer samples than feature dimensions the covariance is singular
    and FID is biased upwards; compare such numbers only with each other.
    """
    if n >= dims:
        return None
    return (
        f"FID from {n} samples, fewer than the {dims} feature dimensions: the "
        "covariance is singular and the value is biased upwards; compare it only "
        f"with FIDs from {n} samples too ({dims} at the very least, 10,000 usual)"
    )


# --- the distance -----------------------------------------------------------


def frechet_distance(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray
) -> float:
    """d^2 = ||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 sqrt(sigma1 sigma2)).

    pytorch-fid's calculate_frechet_distance: it adds 1e-6 to both
    diagonals when the product is singular enough to give a non-finite
    root, and drops a small imaginary part (a large one raises ValueError).
    Its printed notice comes back here as a RuntimeWarning. Round-off can
    make identical or rank-deficient statistics come out slightly below 0;
    a negative within NEGATIVE_ROUND_OFF times Tr(sigma1) + Tr(sigma2) +
    ||mu1 - mu2||^2 is returned as 0.0, a larger one raises (the inputs
    are then not covariance matrices). The result is a float >= 0.
    """
    mu1, sigma1 = check_statistics(mu1, sigma1, "first")
    mu2, sigma2 = check_statistics(mu2, sigma2, "second")
    if mu1.shape != mu2.shape:
        found = f"{mu1.shape[0]} and {mu2.shape[0]}"
        raise ValueError(f"frechet_distance: statistics of different sizes, {found}")

    distance = call_pytorch_fid(mu1, sigma1, mu2, sigma2)
    if distance >= 0:
        return distance

    scale = np.trace(sigma1) + np.trace(sigma2) + np.sum((mu1 - mu2) ** 2)
    if distance >= -NEGATIVE_ROUND_OFF * scale:
        return 0.0
    found = f"{distance:.6g} at scale {scale:.6g}"
    raise ValueError(f"frechet_distance: came out negative, {found}; not covariances?")


def check_statistics(mu, sigma, which: str) -> tuple[np.ndarray, np.ndarray]:
    """mu as float64 [D] and sigma as float64 [D, D], finite."""
    mu = np.atleast_1d(np.asarray(mu, dtype=np.float64))
    sigma = np.atleast_2d(np.asarray(sigma, dtype=np.float64))
    if mu.ndim != 1 or sigma.shape != (len(mu), len(mu)):
        found = f"mu {list(mu.shape)} and sigma {list(sigma.shape)}"
        raise ValueError(f"{which} statistics: expected mu [D], sigma [D, D]; {found}")
    if not (np.isfinite(mu).all() and np.isfinite(sigma).all()):
        raise ValueError(f"{which} statistics: expected finite values, found NaN/inf")
    return mu, sigma


def call_pytorch_fid(mu1, sigma1, mu2, sigma2) -> float:
    """calculate_frechet_distance, its print turned into a warning.

    SciPy's sqrtm(disp=False) divides by the norm of the product for an
    error estimate that pytorch-fid discards; for a zero product that is
    0 / 0 and a RuntimeWarning, which is silenced here.
    """
    printed = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(printed):
        warnings.filterwarnings(
            "ignore",
            message="invalid value encountered in scalar divide",
            category=RuntimeWarning,
            module="scipy.linalg",
        )
        distance = float(calculate_frechet_distance(mu1, sigma1, mu2, sigma2))

    if printed.getvalue().strip():
        warnings.warn(f"pytorch-fid: {printed.getvalue().strip()}", RuntimeWarning)
    if not math.isfinite(distance):
        raise ValueError(f"frechet_distance: pytorch-fid returned {distance}")
    return distance


# --- statistics files -------------------------------------------------------


class StatisticsCache:
    """mu and sigma of reference images in .npz files under one folder.

    Entries are keyed by (dataset, split, count, weights_id): the data set
    name, its split, the number of images the statistics came from, and
    the Inception weights. A file also holds its key and is checked on
    load. Files are written whole or not at all (temp file, then rename),
    and read as pytorch-fid's .npz statistics (keys "mu", "sigma").
    """

    def __init__(self, folder: str | pathlib.Path):
        self.folder = pathlib.Path(folder)

    def get_path(self, dataset: str, split: str, count: int, weights_id: str):
        """The .npz file of one key; readable names plus a hash of the key."""
        key = get_cache_key(dataset, split, count, weights_id)
        digest = hashlib.sha256("\0".join(key.values()).encode()).hexdigest()[:12]
        readable = "-".join(slugify(value) for value in key.values())
        return self.folder / f"{readable}-{digest}.npz"

    def load(self, dataset: str, split: str, count: int, weights_id: str):
        """(mu, sigma) for the key, or None when there is no file for it."""
        path = self.get_path(dataset, split, count, weights_id)
        if not path.is_file():
            return None

        with np.load(path) as stored:
            found = {name: str(stored[name]) for name in CACHE_KEY_FIELDS}
            mu, sigma = stored["mu"], stored["sigma"]
        if found != get_cache_key(dataset, split, count, weights_id):
            raise ValueError(f"{path}: holds statistics for {found}, not this key")
        return mu, sigma

    def save(self, dataset, split, count, weights_id, mu, sigma) -> pathlib.Path:
        """Write (mu, sigma) for the key atomically; return the file's path."""
        path = self.get_path(dataset, split, count, weights_id)
        key = get_cache_key(dataset, split, count, weights_id)
        self.folder.mkdir(parents=True, exist_ok=True)
        write_npz_atomically(path, mu=np.asarray(mu), sigma=np.asarray(sigma), **key)
        return path

    def get_or_compute(
        self,
        dataset: str,
        split: str,
        count: int,
        weights_id: str,
        compute: Callable[[], tuple[np.ndarray, np.ndarray]],
    ) -> tuple[np.ndarray, np.ndarray]:
        """The cached (mu, sigma), or compute(), saved, when there are none."""
        cached = self.load(dataset, split, count, weights_id)
        if cached is not None:
            return cached

        mu, sigma = compute()
        self.save(dataset, split, count, weights_id, mu, sigma)
        return mu, sigma


CACHE_KEY_FIELDS = ("dataset", "split", "count", "weights_id")


def get_cache_key(dataset: str, split: str, count: int, weights_id: str) -> dict:
    return dict(zip(CACHE_KEY_FIELDS, (dataset, split, str(count), weights_id)))


def slugify(text: str) -> str:
    return "".join(char if char.isalnum() or char in "._" else "_" for char in text)


def write_npz_atomically(path: pathlib.Path, **arrays) -> None:
    """np.savez into a temp file beside `path`, then rename it over `path`."""
    descriptor, temp_name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_name, path)
    except BaseException:
        pathlib.Path(temp_name).unlink(missing_ok=True)
        raise


# --- folders and statistics files, like pytorch-fid's command ---------------


def fid_between_folders_or_stats(
    a: str | pathlib.Path,
    b: str | pathlib.Path,
    weights: str = STANDARD_WEIGHTS,
    batch_size: int = 50,
    device: str | torch.device = "cpu",
) -> FidResult:
    """FID between two sides, each a folder of images or an .npz of statistics.

    A folder is validated and read like `topkgan.data.images.scan_image_folder`
    (class subfolders included, all images one size); the Inception model
    is loaded only if a side is a folder. An .npz needs "mu" and "sigma";
    one without "weights_id" is taken as pytorch-fid's own (made with the
    standard weights). Both sides must come from the same weights.
    """
    get_model = functools.cache(lambda: load_inception(weights, device))
    side_a = get_side_statistics(a, get_model, batch_size, device)
    side_b = get_side_statistics(b, get_model, batch_size, device)
    (mu1, sigma1, count1, weights1), (mu2, sigma2, count2, weights2) = side_a, side_b
    if weights1 != weights2:
        found = f"{weights1} for {a} and {weights2} for {b}"
        raise ValueError(f"fid: expected one Inception for both sides, got {found}")

    notes = [warn_if_few_samples(count) for count in (count1, count2) if count]
    notes = list(dict.fromkeys(notes))  # one warning when both sides share a count
    distance = frechet_distance(mu1, sigma1, mu2, sigma2)
    return FidResult(distance, weights1, (count1, count2), [n for n in notes if n])


def get_side_statistics(path, get_model, batch_size, device) -> tuple:
    """(mu, sigma, count or None, weights_id) of a folder or an .npz file."""
    path = pathlib.Path(path)
    if path.suffix.lower() == ".npz":
        return read_statistics_file(path)

    scan = scan_image_folder(path)
    model, weights_id = get_model()
    batches = (
        read_image_files(scan.files[start : start + batch_size], scan.channels)
        for start in range(0, len(scan.files), batch_size)
    )
    activations = compute_activations(batches, model, batch_size, device)
    return (*compute_statistics(activations), len(scan.files), weights_id)


def read_statistics_file(path: pathlib.Path) -> tuple:
    """(mu, sigma, count or None, weights_id) from an .npz of statistics."""
    try:
        stored = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        # numpy's own text here suggests unpickling, which is never wanted
        raise ValueError(f"{path}: not an .npz file of statistics (arrays mu, sigma)") from error
    with stored:
        if "mu" not in stored or "sigma" not in stored:
            found = ", ".join(stored.files)
            raise ValueError(f"{path}: expected arrays mu and sigma, found {found}")
        mu, sigma = stored["mu"], stored["sigma"]
        count = int(str(stored["count"])) if "count" in stored else None
        weights_id = str(stored["weights_id"]) if "weights_id" in stored else None
    return mu, sigma, count, weights_id or STANDARD_WEIGHTS_ID
