"""Which fake samples feed the generator loss (Sinha et al. 2020).

The rule is shared with ts/topk/selection.ts; test/fixtures/
selection-vectors.json holds the cases both must pass.
"""

import torch

MODES = ("none", "top", "bottom", "random")


def effective_k(k: int, batch_size: int, n: int) -> int:
    """k for a batch of n samples when the schedule was made for batch_size.

    A short batch keeps k in proportion, never fewer than one sample and
    never more than it has: min(n, max(1, floor(k * n / batch_size))).
    """
    return min(n, max(1, (k * n) // batch_size))


def select_indices(
    scores: torch.Tensor,
    k: int,
    batch_size: int,
    mode: str,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Indices of the kept samples, ascending, as a LongTensor [k'].

    `scores` are discriminator logits of the fake batch, [n]. "top" keeps
    the k' highest, "bottom" the k' lowest (ties go to the lower index),
    "random" k' distinct indices drawn with `generator` (a CPU generator),
    "none" every index; k' = effective_k(k, batch_size, n).
    """
    if mode not in MODES:
        raise ValueError(f"topk_mode: expected one of {', '.join(MODES)}, got {mode!r}")

    n = len(scores)
    if mode == "none":
        return torch.arange(n, device=scores.device)

    kept = effective_k(k, batch_size, n)
    if mode == "random":
        chosen = torch.randperm(n, generator=generator)[:kept].to(scores.device)
        return torch.sort(chosen).values

    # adding 0.0 turns -0.0 into 0.0, so the two tie in the stable sort
    keys = scores.detach() + 0.0
    keys = -keys if mode == "top" else keys
    order = torch.argsort(keys, stable=True)
    return torch.sort(order[:kept]).values
