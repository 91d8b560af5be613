"""One arm of one seed: networks, optimisers, random streams, a chunked trainer.

TypeScript drives a `TrainingSession` through its JSON methods (see
docs/architecture.md): `describe`, `train_chunk`, `evaluate`,
`write_sample_plot` and `close`. Each takes one JSON string and returns one.
"""

import contextlib
import os
import math
import platform
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

from topkgan.json_api import finite_or_none, json_method
from topkgan.losses.adversarial import get_losses
from topkgan.train import faults, process_control
from topkgan.train.checkpoint import (
    capture_global_random_states,
    read_checkpoint,
    restore_global_random_states,
    write_checkpoint,
)
from topkgan.train.problems import GRID_IMAGES, GRID_LATENT_SEED, create_problem
from topkgan.train.selection import MODES, effective_k, select_indices

# one independent random stream per purpose, so that no stream shifts another
INIT_STREAM, DATA_STREAM, LATENT_STREAM, SELECTION_STREAM, EVALUATION_STREAM = range(5)


def derive_seed(seed: int, *keys: int) -> int:
    """A 63-bit seed for the stream named by `keys`, derived from the run seed."""
    words = np.random.SeedSequence([seed, *keys]).generate_state(2, dtype=np.uint32)
    return (int(words[0]) << 31) ^ int(words[1])


def create_cpu_generator(seed: int, *keys: int) -> torch.Generator:
    return torch.Generator().manual_seed(derive_seed(seed, *keys))


def resolve_device(device: str) -> torch.device:
    """Turn "cpu", "cuda", "cuda:N" or "auto" into a usable torch.device."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device != "cpu" and device.split(":")[0] != "cuda":
        raise ValueError(f'device: expected "cpu", "cuda" or "cuda:N", got {device!r}')
    if device != "cpu" and not torch.cuda.is_available():
        raise ValueError(f"device: {device} was asked for but CUDA is not available")
    return torch.device(device)


@dataclass
class RandomStreams:
    """CPU generators for the training streams of one seed."""

    data: torch.Generator
    latent: torch.Generator
    selection: torch.Generator


def create_streams(seed: int, salt: int = 0) -> RandomStreams:
    """The training streams of a seed; a non-zero `salt` gives fresh ones."""
    extra = (salt,) if salt else ()
    return RandomStreams(
        data=create_cpu_generator(seed, DATA_STREAM, *extra),
        latent=create_cpu_generator(seed, LATENT_STREAM, *extra),
        selection=create_cpu_generator(seed, SELECTION_STREAM, *extra),
    )


def create_networks(problem, seed: int, device: torch.device) -> tuple:
    """Generator and discriminator for the problem, initialised from the seed alone.

    The global RNG is forked so that building the networks neither depends
    on nor disturbs anything else; every arm of a seed starts identical.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(seed, INIT_STREAM))
        generator, discriminator = problem.create_networks()
    return generator.to(device), discriminator.to(device)


@contextlib.contextmanager
def evaluation_mode(network: nn.Module):
    """BatchNorm uses its running statistics and updates none of them."""
    was_training = network.training
    network.eval()
    try:
        yield network
    finally:
        network.train(was_training)


def create_optimisers(generator: nn.Module, discriminator: nn.Module, train: dict):
    """Adam for G and for D, learning rates and betas from the `train` config."""
    betas = (train["beta1"], train["beta2"])
    return (
        torch.optim.Adam(generator.parameters(), lr=train["lr_g"], betas=betas),
        torch.optim.Adam(discriminator.parameters(), lr=train["lr_d"], betas=betas),
    )


@contextlib.contextmanager
def frozen(network: nn.Module):
    """Let gradients flow through `network` without computing its own."""
    network.requires_grad_(False)
    try:
        yield network
    finally:
        network.requires_grad_(True)


@dataclass
class StepStats:
    """Scalars of one training step; `failed` names a non-finite loss."""

    loss_d: float
    d_real: float
    d_fake: float
    loss_g: float = math.nan
    failed: str | None = None


class TrainingSession:
    """Training state of one arm and one seed on one device."""

    def __init__(self, config: dict, arm: dict, seed: int, device: str | None = None):
        self.config = config
        self.arm = arm
        self.seed = seed
        self.device = resolve_device(device or config.get("device", "auto"))
        if self.device.type == "cpu":
            # warn_only: the flag is process-wide and must not break a CUDA session
            torch.use_deterministic_algorithms(True, warn_only=True)

        self.batch_size = config["train"]["batch_size"]
        self.problem = create_problem(config, seed, self.device)
        self.problem.grid_images = self.generate_grid_images
        self.steps_per_epoch = self.problem.steps_per_epoch
        self.generator, self.discriminator = create_networks(
            self.problem, seed, self.device
        )
        self.optimiser_g, self.optimiser_d = create_optimisers(
            self.generator, self.discriminator, config["train"]
        )
        losses = get_losses(config["train"]["loss"])
        self.discriminator_loss, self.generator_loss = losses
        self.streams = create_streams(seed)
        self.stream_salt = 0
        self.step = 0
        self.closed = False

    @json_method
    def describe(self, request: dict) -> dict:
        return {
            "torch": torch.__version__,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "device": str(self.device),
            "cuda_available": torch.cuda.is_available(),
            "batch_size": self.batch_size,
            "steps_per_epoch": self.steps_per_epoch,
            "pid": os.getpid(),
            **self.problem.describe(),
        }

    @json_method
    def train_chunk(self, request: dict) -> dict:
        """Run one step per entry of `k_per_step`; see docs/architecture.md."""
        self.check_open()
        k_per_step = check_k_per_step(request.get("k_per_step"))
        mode = check_mode(request.get("topk_mode", self.arm["topk_mode"]))
        carried = [StepStats(**values) for values in request.get("carry") or []]
        return self.run_chunk(k_per_step, mode, carried)

    @json_method
    def save_checkpoint(self, request: dict) -> dict:
        """Write the whole training state to `path`; `extra` is stored as is."""
        self.check_open()
        state = {
            "step": self.step,
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "optimiser_g": self.optimiser_g.state_dict(),
            "optimiser_d": self.optimiser_d.state_dict(),
            "streams": {
                name: getattr(self.streams, name).get_state()
                for name in ("data", "latent", "selection")
            },
            "global_random": capture_global_random_states(),
            "stream_salt": self.stream_salt,
            "extra": request.get("extra"),
        }
        return {"step": self.step, **write_checkpoint(request["path"], state)}

    @json_method
    def load_checkpoint(self, request: dict) -> dict:
        """Restore the state saved by `save_checkpoint`; returns step and extra."""
        self.check_open()
        state = read_checkpoint(request["path"])
        self.generator.load_state_dict(state["generator"])
        self.discriminator.load_state_dict(state["discriminator"])
        self.optimiser_g.load_state_dict(state["optimiser_g"])
        self.optimiser_d.load_state_dict(state["optimiser_d"])
        for name, stream_state in state["streams"].items():
            getattr(self.streams, name).set_state(stream_state)
        restore_global_random_states(state["global_random"])
        self.step = state["step"]
        self.set_stream_salt(state.get("stream_salt", 0), restore=False)
        if request.get("reseed"):
            # a rollback after divergence: new streams, or the same steps
            # would replay into the same non-finite loss
            self.set_stream_salt(int(request["reseed"]), restore=True)
        return {"step": self.step, "extra": state.get("extra")}

    @json_method
    def evaluate(self, request: dict) -> dict:
        """The problem's metrics: modes for the mixture, FID and a grid for images."""
        self.check_open()
        return self.problem.evaluate(self.generate_batches, request)

    @json_method
    def write_sample_plot(self, request: dict) -> dict:
        """Samples into `path` (PNG): a scatter over the modes, or an image grid."""
        self.check_open()
        title = request.get("title") or self.get_default_title()
        n = request.get("num_samples", 2500)
        self.problem.write_samples(self.generate_batches, request["path"], title, n)
        return {"files": [request["path"]]}

    @json_method
    def close(self, request: dict) -> dict:
        """Drop the networks and optimisers; later calls are refused."""
        if self.closed:
            return {"closed": True, "step": self.step}
        del self.generator, self.discriminator, self.optimiser_g, self.optimiser_d
        self.closed = True
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        return {"closed": True, "step": self.step}

    def check_open(self) -> None:
        if self.closed:
            raise RuntimeError("this TrainingSession was closed; open a new one")

    def get_default_title(self) -> str:
        experiment = self.config["experiment"]
        return f"{experiment} {self.arm['name']} seed {self.seed} step {self.step}"

    def run_chunk(
        self, k_per_step: list[int], mode: str, carried: list[StepStats]
    ) -> dict:
        """Train until the list of k runs out, a loss stops being finite or a
        stop is requested.

        `carried` are the steps of this epoch run before an interruption; they
        count in the means, so a resumed epoch reports exactly what an
        uninterrupted one would. When a stop ends the chunk early, `carry`
        returns every step of the epoch so far, for the checkpoint.
        """
        started = time.perf_counter()
        completed: list[StepStats] = list(carried)
        non_finite = None
        stopped = None
        for k in k_per_step:
            stopped = process_control.stop_requested()
            if stopped:
                break
            process_control.beat()
            stats = self.run_step(k, mode)
            if stats.failed:
                non_finite = {"step": self.step + 1, "loss": stats.failed}
                break
            self.step += 1
            completed.append(stats)

        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        summary = summarise_steps(completed)
        return {
            "step": self.step,
            "steps": len(completed) - len(carried),
            "k_used": self.get_kept_count(k, mode),
            **summary,
            "seconds": time.perf_counter() - started,
            "non_finite": non_finite,
            "stopped": stopped,
            "carry": [vars(stats) for stats in completed] if stopped else None,
        }

    def get_kept_count(self, k: int, mode: str) -> int:
        """How many of a full batch the selection keeps for this k."""
        if mode == "none":
            return self.batch_size
        return effective_k(k, self.batch_size, self.batch_size)

    def set_stream_salt(self, salt: int, restore: bool) -> None:
        """Use the streams of `salt` (0: the seed's own); fresh ones if `restore`."""
        self.stream_salt = salt
        if hasattr(self.problem, "order_salt"):
            self.problem.order_salt = salt
        if restore:
            self.streams = create_streams(self.seed, salt=salt)

    def run_step(self, k: int, mode: str) -> StepStats:
        """One discriminator and one generator update; the step of the paper."""
        # draw the real batch and the latents, each from its own stream; an
        # image epoch's last batch may be short, and the fakes match it
        real = self.sample_real(self.batch_size)
        latents = self.sample_latents(len(real), self.streams.latent)
        fake = self.generator(latents)

        # update the discriminator on real and detached fake samples
        stats = self.update_discriminator(real, fake.detach())
        if stats.failed:
            return stats

        # update the generator on the fakes selection keeps, scored by the new D
        stats.loss_g = self.update_generator(fake, k, mode)
        if faults.inject(self.step + 1, self.arm["name"]):
            stats.loss_g = math.nan
        if not math.isfinite(stats.loss_g):
            stats.failed = "loss_g"
        return stats

    def sample_real(self, n: int) -> torch.Tensor:
        """The real batch of the current step (the mixture draws n from its stream)."""
        return self.problem.sample_real(self.step, n, self.streams)

    def sample_latents(self, n: int, stream: torch.Generator) -> torch.Tensor:
        """Standard normal latents [n, latent_dim], drawn on the CPU."""
        latent_dim = self.config["model"]["latent_dim"]
        return torch.randn(n, latent_dim, generator=stream).to(self.device)

    def update_discriminator(self, real: torch.Tensor, fake: torch.Tensor) -> StepStats:
        """One Adam step on D; no step when its loss is not finite."""
        if self.problem.separate_discriminator_batches:
            real_logits = self.discriminator(real).squeeze(1)
            fake_logits = self.discriminator(fake).squeeze(1)
        else:
            logits = self.discriminator(torch.cat([real, fake])).squeeze(1)
            real_logits, fake_logits = logits[: len(real)], logits[len(real) :]
        loss = self.discriminator_loss(real_logits, fake_logits)
        stats = get_discriminator_stats(loss, real_logits, fake_logits)
        if not math.isfinite(stats.loss_d):
            stats.failed = "loss_d"
            return stats

        self.optimiser_d.zero_grad()
        loss.backward()
        self.optimiser_d.step()
        return stats

    def update_generator(self, fake: torch.Tensor, k: int, mode: str) -> float:
        """One Adam step on G over the kept samples; returns the loss value."""
        with frozen(self.discriminator):
            logits = self.discriminator(fake).squeeze(1)
            kept = select_indices(
                logits, k, self.batch_size, mode, self.streams.selection
            )
            kept_logits = logits if len(kept) == len(logits) else logits[kept]
            loss = self.generator_loss(kept_logits)
            value = loss.item()
            if not math.isfinite(value):
                return value

            self.optimiser_g.zero_grad()
            loss.backward()
            self.optimiser_g.step()
        return value

    def generate_batches(self, n: int, batch: int):
        """n generator samples, in CPU float32 batches of at most `batch`.

        Latents come from a stream seeded by (seed, step), so evaluating
        twice at one step gives the same samples and never shifts training;
        the generator runs in eval mode, so BatchNorm statistics stay as
        training left them.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"num_samples: expected a positive integer, got {n!r}")

        stream = create_cpu_generator(self.seed, EVALUATION_STREAM, self.step)
        for start in range(0, n, batch):
            latents = self.sample_latents(min(batch, n - start), stream)
            with torch.no_grad(), evaluation_mode(self.generator):
                yield self.generator(latents).float().cpu()

    def generate_grid_images(self) -> torch.Tensor:
        """Images of one fixed latent batch, the same for every arm, seed and step."""
        stream = create_cpu_generator(GRID_LATENT_SEED, EVALUATION_STREAM)
        latents = self.sample_latents(GRID_IMAGES, stream)
        with torch.no_grad(), evaluation_mode(self.generator):
            return self.generator(latents).float().cpu()

    def generate_samples(self, n: int) -> np.ndarray:
        """n generator samples as one float32 array on the CPU."""
        return torch.cat(list(self.generate_batches(n, 65536))).numpy()


def get_discriminator_stats(
    loss: torch.Tensor, real_logits: torch.Tensor, fake_logits: torch.Tensor
) -> StepStats:
    """loss_d and the mean sigmoid scores of real and fake, in one device sync."""
    values = [loss, real_logits.sigmoid().mean(), fake_logits.sigmoid().mean()]
    loss_d, d_real, d_fake = torch.stack(values).detach().tolist()
    return StepStats(loss_d=loss_d, d_real=d_real, d_fake=d_fake)


def check_k_per_step(k_per_step: object) -> list[int]:
    if not isinstance(k_per_step, list) or not k_per_step:
        raise ValueError(f"k_per_step: expected a non-empty list, got {k_per_step!r}")
    for k in k_per_step:
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k_per_step: expected positive integers, got {k!r}")
    return k_per_step


def check_mode(mode: object) -> str:
    if mode not in MODES:
        raise ValueError(f"topk_mode: expected one of {', '.join(MODES)}, got {mode!r}")
    return mode


def summarise_steps(completed: list[StepStats]) -> dict:
    """Means over the completed steps; null for each when there are none."""
    names = ("loss_d", "loss_g", "d_real", "d_fake")
    if not completed:
        return dict.fromkeys(names)
    return {
        name: finite_or_none(
            math.fsum(getattr(s, name) for s in completed) / len(completed)
        )
        for name in names
    }
