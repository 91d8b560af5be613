"""FID throughput: in memory from the generator against pytorch-fid's command.

    python -m topkgan.bench_fid [--images N] [--batch-size N] [--weights FILE]

Makes N images with a seeded DCGAN generator (32x32 RGB) and a reference
.npz from N noise images, then measures,
one after the other on the same machine:
- the product: Inception features of the tensors in memory, statistics and
  the Frechet distance against a reference .npz (topkgan.metrics.fid);
- pytorch-fid's own command, `python -m pytorch_fid FOLDER REF.npz`, on the
  same images saved as PNG, in a fresh process (its start-up counts, as it
  does for a user).
Both use the same Inception weights: pytorch-fid's standard file where it
is installed, else `--weights FILE`, else random weights written to a file
that both load (numbers then are plumbing, not FID). Prints JSON with
images per second of each, their ratio, and both distances, which must
agree to 1e-3.
"""

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
from PIL import Image

from topkgan.metrics import fid
from topkgan.models.image_gans import build_image_gan

# Runs pytorch-fid's command-line entry point with the weights file given as
# argv[1] standing in for its download (a no-op for the standard file).
PYTORCH_FID_LAUNCHER = """
import sys, torch
import pytorch_fid.inception as inception
from pytorch_fid.fid_score import main
from topkgan.metrics.fid import create_fid_architecture
weights = sys.argv[1]
if weights != "standard":
    state = torch.load(weights, map_location="cpu", weights_only=True)
    inception.fid_inception_v3 = lambda: create_fid_architecture(state)
sys.argv = ["pytorch_fid", *sys.argv[2:]]
main()
"""


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    with tempfile.TemporaryDirectory(prefix="topk-bench-fid-") as scratch:
        scratch = pathlib.Path(scratch)
        weights_file = options.weights or choose_weights(scratch)
        model, weights_id = fid.load_inception(
            "pytorch-fid" if weights_file == "standard" else weights_file
        )
        images = generate_images(options.images, seed=1)
        reference = write_reference(scratch, model, generate_noise(options.images, seed=2))
        folder = write_pngs(scratch / "images", images)

        started = time.perf_counter()
        activations = fid.compute_activations(images, model, options.batch_size)
        mu, sigma = fid.compute_statistics(activations)
        with np.load(reference) as stored:
            in_memory = fid.frechet_distance(mu, sigma, stored["mu"], stored["sigma"])
        product_seconds = time.perf_counter() - started

        started = time.perf_counter()
        command = [sys.executable, "-c", PYTORCH_FID_LAUNCHER, weights_file, str(folder),
                   str(reference), "--device", "cpu", "--batch-size", str(options.batch_size)]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        pytorch_fid_seconds = time.perf_counter() - started
        from_files = float(output.strip().split()[-1])

    report = {
        "images": options.images,
        "weights_id": weights_id,
        "product_seconds": product_seconds,
        "pytorch_fid_seconds": pytorch_fid_seconds,
        "product_images_per_s": options.images / product_seconds,
        "pytorch_fid_images_per_s": options.images / pytorch_fid_seconds,
        "speed_ratio_product_over_pytorch_fid": pytorch_fid_seconds / product_seconds,
        "distance_in_memory": in_memory,
        "distance_pytorch_fid": from_files,
        "agree_to_1e-3": abs(in_memory - from_files) <= 1e-3,
    }
    print(json.dumps(report))
    return 0


def parse_options(argv):
    parser = argparse.ArgumentParser(prog="python -m topkgan.bench_fid")
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--weights", default=None, help="a state dict file for both sides")
    return parser.parse_args(argv)


def choose_weights(scratch: pathlib.Path) -> str:
    """"standard" where pytorch-fid's file is installed, else random weights in a file."""
    if fid.get_standard_weights_path().is_file():
        return "standard"
    path = scratch / "random-inception.pt"
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        torch.save(fid.create_fid_architecture(None).state_dict(), path)
    return str(path)


def generate_images(count: int, seed: int) -> torch.Tensor:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        generator, _ = build_image_gan("dcgan", 32, 3, latent_dim=100, width=16)
        generator.eval()
        with torch.no_grad():
            return generator(torch.randn(count, 100))


def generate_noise(count: int, seed: int) -> torch.Tensor:
    """Uniform noise images, far from the generator's, so the distance is not ~0."""
    stream = torch.Generator().manual_seed(seed)
    return torch.rand(count, 3, 32, 32, generator=stream) * 2 - 1


def write_reference(scratch: pathlib.Path, model, images: torch.Tensor) -> pathlib.Path:
    mu, sigma = fid.compute_statistics(fid.compute_activations(images, model))
    path = scratch / "reference.npz"
    np.savez(path, mu=mu, sigma=sigma)
    return path


def write_pngs(folder: pathlib.Path, images: torch.Tensor) -> pathlib.Path:
    folder.mkdir(parents=True)
    pixels = fid.to_uint8(images).permute(0, 2, 3, 1).numpy()
    for index, image in enumerate(pixels):
        Image.fromarray(image).save(folder / f"{index:05d}.png")
    return folder


if __name__ == "__main__":
    sys.exit(main())
