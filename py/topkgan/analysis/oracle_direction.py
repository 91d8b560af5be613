"""Oracle-direction analysis of one generator step (Sinha et al. 2020, sec. 3).

Does one generator update move each generated sample towards its nearest
mode? From one trained mixture-of-Gaussians checkpoint and one fixed latent
batch z [B, latent_dim], every arm takes ONE generator step from the SAME
starting weights and optimiser state, with only some samples in the loss:

- "top": the k samples the discriminator scores highest (top-k training);
- "bottom": the k it scores lowest (the ones top-k throws away);
- "random": k drawn uniformly, and "all": every sample (references).

For sample i, with x_i = G(z_i) before the step and x'_i = G'(z_i) after it,
the displacement is d_i = x'_i - x_i and the oracle direction is
o_i = c(i) - x_i, where c(i) is the mode centre nearest to x_i. cos(d_i, o_i)
is 1 for a sample moving straight towards its mode and -1 straight away. The
paper's claim: updates from the worst-scored samples can push samples away
from their nearest mode, so "bottom" should show more negative cosines.

`topk-gan oracle RUN_DIR` runs this on a run's checkpoints, through `main`
below; suite reports run it on each seed's baseline checkpoint.

Choices:
- Ties: a point exactly as far from two centres goes to the centre of lower
  index, in the order of `get_mode_centres`.
- A sample sitting exactly on its centre, or not moved at all, has no cosine;
  it is left out of the statistics and counted.
- The analysis runs in float64 on the CPU, on copies of the float32 weights,
  so that a small step's displacement (often 1e-5 of a sample's scale) is not
  lost to float32 rounding.
- "adam" (the default) is the training step: Adam with lr_g and betas, its
  moments restored from the checkpoint. Adam divides by the running gradient
  scale, so a step from fresh moments is close to lr * sign(gradient), and
  restored moments carry past gradients shared by every arm; both can hide
  where the kept samples' gradient points. "sgd" is a plain gradient step
  without momentum, at the same learning rate unless `lr` is given: to first
  order it moves sample i by -lr * J_i J^T grad, the kept samples' gradient
  and nothing else.
"""

import copy
import json
import math
import sys
import traceback
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn as nn

from topkgan.data.mixture import get_mode_centres
from topkgan.json_api import describe_error, finite_or_none, json_function
from topkgan.losses.adversarial import get_losses
from topkgan.models.mlp import create_discriminator, create_generator
from topkgan.train.checkpoint import read_checkpoint
from topkgan.train.selection import select_indices

# arm name -> selection mode of train/selection.py
SELECTION_MODES = {"top": "top", "bottom": "bottom", "random": "random", "all": "none"}
OPTIMISERS = ("adam", "sgd")
DEFAULT_ARMS = ("top", "bottom")
DEFAULT_BINS = 20
# purposes of the random streams derived from the request's seed
LATENT_PURPOSE, SELECTION_PURPOSE = range(2)

GeneratorLoss = Callable[[torch.Tensor], torch.Tensor]


@dataclass
class OracleCosines:
    """Per-sample results of one step; every field is a CPU tensor [B].

    `cosines` (float64) is cos(d_i, o_i), NaN where left out. `nearest`
    (int64) indexes the centres. `displacement_norms` (float64) is |d_i| in
    data units. `on_centre` marks o_i = 0; `zero_displacement` marks d_i = 0
    for samples not on their centre, so the two never overlap.
    """

    cosines: torch.Tensor
    nearest: torch.Tensor
    displacement_norms: torch.Tensor
    on_centre: torch.Tensor
    zero_displacement: torch.Tensor


@dataclass
class CheckpointNetworks:
    """float64 copies of a checkpoint's networks and G's Adam state."""

    generator: nn.Module
    discriminator: nn.Module
    optimiser_state: dict
    step: int


@dataclass
class StartingPoint:
    """What every arm shares: the networks, the batch and its scores.

    `latents` [B, latent_dim] and `before` = G(latents) [B, 2] are float64;
    `scores` [B] are D's logits of `before`; `centres` [M, 2] float64.
    """

    networks: CheckpointNetworks
    latents: torch.Tensor
    before: torch.Tensor
    scores: torch.Tensor
    centres: torch.Tensor
    loss: GeneratorLoss


@dataclass(frozen=True)
class AnalysisSettings:
    """The validated request, less the config and the checkpoint path."""

    seed: int
    batch_size: int
    k: int
    arms: tuple[str, ...]
    bins: int
    optimiser: str
    lr: float
    betas: tuple[float, float]


def nearest_centres(points: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """Index of the centre nearest to each point, int64 [B].

    `points` [B, D] and `centres` [M, D] share units. Squared Euclidean
    distances are compared in float64; exactly equal distances go to the lower
    centre index (torch.argmin returns the first minimum).
    """
    offsets = points.double()[:, None, :] - centres.double()[None, :, :]
    return offsets.square().sum(dim=2).argmin(dim=1)


def oracle_cosines(
    before: torch.Tensor, after: torch.Tensor, centres: torch.Tensor
) -> OracleCosines:
    """Cosine between each sample's move and the way to its nearest centre.

    `before` and `after` are [B, D] samples G(z), G'(z) of the same latents;
    `centres` is [M, D]. The nearest centre is taken from `before`.
    """
    before, after, centres = before.double(), after.double(), centres.double()
    nearest = nearest_centres(before, centres)
    displacements = after - before
    oracle = centres[nearest] - before

    displacement_norms = displacements.norm(dim=1)
    oracle_norms = oracle.norm(dim=1)
    on_centre = oracle_norms == 0
    zero_displacement = (displacement_norms == 0) & ~on_centre

    products = (displacements * oracle).sum(dim=1)
    cosines = (products / (displacement_norms * oracle_norms)).clamp(-1.0, 1.0)
    cosines = torch.where(on_centre | zero_displacement, torch.nan, cosines)
    return OracleCosines(
        cosines, nearest, displacement_norms, on_centre, zero_displacement
    )


def take_generator_step(
    generator: nn.Module,
    discriminator: nn.Module,
    optimiser_state: dict | None,
    latents: torch.Tensor,
    kept_indices: torch.Tensor,
    loss: GeneratorLoss,
    lr: float,
    optimiser: str = "adam",
    betas: tuple[float, float] = (0.5, 0.999),
) -> nn.Module:
    """A copy of `generator` after one step on the kept samples' loss.

    Neither network nor `optimiser_state` changes: the step acts on deep
    copies and only G's gradient is computed, so every arm starts from the
    same weights. `latents` is [B, latent_dim]; `kept_indices` (int64 [k])
    are positions in the batch; `loss` maps the kept logits [k] to their mean
    loss. "adam" restores `optimiser_state` (a state dict of an Adam over
    `generator.parameters()`, or None for fresh moments) and then uses `lr`
    and `betas`; "sgd" is a plain step of size `lr` and ignores the state.
    """
    updated = copy.deepcopy(generator)
    parameters = list(updated.parameters())
    logits = discriminator(updated(latents)).squeeze(1)
    gradients = torch.autograd.grad(
        loss(logits[kept_indices]), parameters, allow_unused=True
    )

    step = create_optimiser(parameters, optimiser, optimiser_state, lr, betas)
    for parameter, gradient in zip(parameters, gradients):
        parameter.grad = gradient
    step.step()
    updated.zero_grad(set_to_none=True)
    return updated


def create_optimiser(
    parameters: list[nn.Parameter],
    kind: str,
    state: dict | None,
    lr: float,
    betas: tuple[float, float],
) -> torch.optim.Optimizer:
    """Plain SGD, or Adam continuing from a deep copy of `state`."""
    if kind == "sgd":
        return torch.optim.SGD(parameters, lr=lr)
    if kind != "adam":
        raise ValueError(f"optimiser: expected one of {OPTIMISERS}, got {kind!r}")

    adam = torch.optim.Adam(parameters, lr=lr, betas=betas)
    if state is not None:
        # a copy: Adam counts its step in place in the tensors it loads
        adam.load_state_dict(copy.deepcopy(state))
    for group in adam.param_groups:
        group.update(lr=lr, betas=betas)
    return adam


def analyse_checkpoint(request: dict) -> dict:
    """Oracle-direction statistics of one checkpoint, per arm.

    `request`: {"config": resolved config, "checkpoint": path written by
    TrainingSession.save_checkpoint, "seed": int >= 0, "batch_size": B
    (default train.batch_size), "k": int in [1, B], "modes": arm names
    (default ["top", "bottom"]), "bins": histogram bins on [-1, 1] (default
    20), "optimiser": "adam" | "sgd" (default "adam"), "lr": step size
    (default train.lr_g)}. "all" keeps every sample whatever k is.

    Returns {"step", "seed", "batch_size", "k", "optimiser", "lr", "betas",
    "loss", "modes_total", "histogram_edges": [bins + 1], "arms": {name:
    {"kept", "loss_g" (G's loss on the kept samples before the step),
    "used": group, "all": group}}}, each group as `summarise_group` says.
    """
    config = check_config(request.get("config"))
    settings = parse_settings(request, config)
    networks = load_networks(config, request.get("checkpoint"))
    start = create_starting_point(networks, config, settings)
    return {
        "step": networks.step,
        **describe_settings(settings, config),
        "modes_total": len(start.centres),
        "histogram_edges": get_bin_edges(settings.bins).tolist(),
        "arms": {arm: analyse_arm(arm, start, settings) for arm in settings.arms},
    }


def create_starting_point(
    networks: CheckpointNetworks, config: dict, settings: AnalysisSettings
) -> StartingPoint:
    """The seed's latent batch, G's samples of it and D's scores of those."""
    latents = draw_latents(settings, config["model"]["latent_dim"])
    with torch.no_grad():
        before = networks.generator(latents)
        scores = networks.discriminator(before).squeeze(1)
    return StartingPoint(
        networks=networks,
        latents=latents,
        before=before,
        scores=scores,
        centres=torch.from_numpy(get_mode_centres(config["data"])).double(),
        loss=get_losses(config["train"]["loss"])[1],
    )


def analyse_arm(arm: str, start: StartingPoint, settings: AnalysisSettings) -> dict:
    """One step on the arm's kept samples, summarised over them and over all."""
    kept = select_kept(arm, start.scores, settings)
    updated = take_generator_step(
        start.networks.generator,
        start.networks.discriminator,
        start.networks.optimiser_state,
        start.latents,
        kept,
        start.loss,
        settings.lr,
        settings.optimiser,
        settings.betas,
    )
    with torch.no_grad():
        after = updated(start.latents)

    result = oracle_cosines(start.before, after, start.centres)
    edges = get_bin_edges(settings.bins)
    return {
        "kept": len(kept),
        "loss_g": finite_or_none(start.loss(start.scores[kept]).item()),
        "used": summarise_group(result, kept, edges),
        "all": summarise_group(result, torch.arange(len(after)), edges),
    }


def summarise_group(
    result: OracleCosines, indices: torch.Tensor, edges: np.ndarray
) -> dict:
    """Statistics of the cosines of the samples at `indices`.

    `samples` = `count` + `excluded_on_centre` + `excluded_zero_displacement`;
    mean, median, std (population, ddof 0), positive_fraction (share of
    cosines > 0) and negative_fraction (share < 0) cover the `count` defined
    cosines and are null when there are none; `histogram` counts them in the
    bins of `edges` and sums to `count`; `mean_displacement_norm` (data
    units) covers every sample.
    """
    cosines = result.cosines[indices].numpy()
    defined = cosines[~np.isnan(cosines)]
    counts, _ = np.histogram(defined, bins=edges)
    return {
        "samples": len(indices),
        "count": len(defined),
        "excluded_on_centre": int(result.on_centre[indices].sum()),
        "excluded_zero_displacement": int(result.zero_displacement[indices].sum()),
        **describe_cosines(defined),
        "mean_displacement_norm": float(result.displacement_norms[indices].mean()),
        "histogram": counts.tolist(),
    }


def describe_cosines(cosines: np.ndarray) -> dict:
    """Mean, median, std and shares above and below zero of float64 cosines [n]."""
    names = ("mean", "median", "std", "positive_fraction", "negative_fraction")
    if len(cosines) == 0:
        return dict.fromkeys(names)
    return {
        "mean": finite_or_none(cosines.mean()),
        "median": finite_or_none(np.median(cosines)),
        "std": finite_or_none(cosines.std()),
        "positive_fraction": float((cosines > 0).mean()),
        "negative_fraction": float((cosines < 0).mean()),
    }


def get_bin_edges(bins: int) -> np.ndarray:
    """`bins` equal bins on [-1, 1] as bins + 1 edges; the last bin holds 1."""
    return np.linspace(-1.0, 1.0, bins + 1)


def select_kept(
    arm: str, scores: torch.Tensor, settings: AnalysisSettings
) -> torch.Tensor:
    """The arm's kept indices, ascending, by the rule of train/selection.py."""
    stream = create_seeded_stream(settings.seed, SELECTION_PURPOSE)
    mode = SELECTION_MODES[arm]
    return select_indices(scores, settings.k, len(scores), mode, stream)


def draw_latents(settings: AnalysisSettings, latent_dim: int) -> torch.Tensor:
    """Standard normal latents [B, latent_dim], drawn in float32, as float64."""
    stream = create_seeded_stream(settings.seed, LATENT_PURPOSE)
    return torch.randn(settings.batch_size, latent_dim, generator=stream).double()


def create_seeded_stream(seed: int, purpose: int) -> torch.Generator:
    """A CPU generator that depends on the seed and the purpose alone."""
    words = np.random.SeedSequence([seed, purpose]).generate_state(2)
    return torch.Generator().manual_seed((int(words[0]) << 31) ^ int(words[1]))


def load_networks(config: dict, path: object) -> CheckpointNetworks:
    """Both networks of a checkpoint as float64 CPU copies, and G's Adam state."""
    if not isinstance(path, str) or not path:
        raise ValueError(f"checkpoint: expected a file path, got {path!r}")

    state = read_checkpoint(path)
    # building the networks draws initial weights; keep the global RNG as it was
    with torch.random.fork_rng(devices=[]):
        generator = create_generator(config["model"])
        discriminator = create_discriminator(config["model"])
    generator.load_state_dict(state["generator"])
    discriminator.load_state_dict(state["discriminator"])
    return CheckpointNetworks(
        generator.double(),
        discriminator.double(),
        state["optimiser_g"],
        state["step"],
    )


def check_config(config: object) -> dict:
    """The resolved config, if it describes a mixture of Gaussians and MLPs."""
    if not isinstance(config, dict):
        raise ValueError(f"config: expected the resolved config, got {config!r}")
    if config["data"]["kind"] != "mog":
        raise ValueError(f'data.kind: expected "mog", got {config["data"]["kind"]!r}')
    if config["model"]["kind"] != "mlp":
        raise ValueError(f'model.kind: expected "mlp", got {config["model"]["kind"]!r}')
    return config


def parse_settings(request: dict, config: dict) -> AnalysisSettings:
    """Validate the request's numbers and names; defaults from the config."""
    train = config["train"]
    raw_batch_size = request.get("batch_size", train["batch_size"])
    batch_size = check_integer("batch_size", raw_batch_size, 1)
    return AnalysisSettings(
        seed=check_integer("seed", request.get("seed"), 0),
        batch_size=batch_size,
        k=check_integer("k", request.get("k"), 1, batch_size),
        arms=check_arms(request.get("modes", list(DEFAULT_ARMS))),
        bins=check_integer("bins", request.get("bins", DEFAULT_BINS), 1),
        optimiser=check_optimiser(request.get("optimiser", "adam")),
        lr=check_learning_rate(request.get("lr", train["lr_g"])),
        betas=(train["beta1"], train["beta2"]),
    )


def check_integer(name: str, value: object, low: int, high: int | None = None) -> int:
    within = isinstance(value, int) and not isinstance(value, bool) and value >= low
    if not within or (high is not None and value > high):
        wanted = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"{name}: expected an integer {wanted}, got {value!r}")
    return value


def check_arms(arms: object) -> tuple[str, ...]:
    names = ", ".join(SELECTION_MODES)
    if not isinstance(arms, list) or not arms or len(set(map(str, arms))) < len(arms):
        raise ValueError(f"modes: expected distinct names among {names}, got {arms!r}")
    for arm in arms:
        if arm not in SELECTION_MODES:
            raise ValueError(f"modes: expected names among {names}, got {arm!r}")
    return tuple(arms)


def check_optimiser(kind: object) -> str:
    if kind not in OPTIMISERS:
        raise ValueError(f'optimiser: expected "adam" or "sgd", got {kind!r}')
    return kind


def check_learning_rate(lr: object) -> float:
    number = isinstance(lr, (int, float)) and not isinstance(lr, bool)
    if not number or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr: expected a positive number, got {lr!r}")
    return float(lr)


def describe_settings(settings: AnalysisSettings, config: dict) -> dict:
    return {
        "seed": settings.seed,
        "batch_size": settings.batch_size,
        "k": settings.k,
        "optimiser": settings.optimiser,
        "lr": settings.lr,
        "betas": list(settings.betas),
        "loss": config["train"]["loss"],
    }


oracle_direction = json_function(analyse_checkpoint)


def analyse_each(requests: list[dict]) -> list[dict]:
    """`analyse_checkpoint` of every request; a failure is that entry's error.

    One bad checkpoint does not cost the others their answer: its entry is
    {"error": {"type", "message", "traceback"}}, as a bridge call answers.
    """
    results = []
    for request in requests:
        try:
            results.append(analyse_checkpoint(request))
        except Exception as error:
            traceback.print_exc(file=sys.stderr)
            results.append(describe_error(error))
    return results


def main(argv: list[str]) -> int:
    """``python -m topkgan.analysis.oracle_direction REQUEST_JSON_FILE``.

    The file holds {"analyses": [request, ...]}, each request as
    `analyse_checkpoint` takes it; {"results": [...]}, in the same order,
    goes to stdout (see ts/analysis/oracle-direction.ts).
    """
    if len(argv) != 2:
        usage = "usage: python -m topkgan.analysis.oracle_direction REQUEST_JSON_FILE"
        print(usage, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as file:
        request = json.load(file)
    analyses = request.get("analyses") if isinstance(request, dict) else None
    if not isinstance(analyses, list):
        print(f'{argv[1]}: expected {{"analyses": [...]}}', file=sys.stderr)
        return 2
    print(json.dumps({"results": analyse_each(analyses)}, allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
