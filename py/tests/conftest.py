"""Shared helpers: a small resolved config, so every session test is fast."""

import copy
import json
import pathlib

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]

SMALL_CONFIG = {
    "experiment": "mog-grid25-test",
    "data": {
        "kind": "mog",
        "layout": "grid",
        "modes": 25,
        "spacing": 2.0,
        "radius": 2.0,
        "sigma": 0.05,
        "epoch_samples": 640,
    },
    "model": {"kind": "mlp", "latent_dim": 2, "hidden": 32, "layers": 4},
    "train": {
        "iterations": 30,
        "batch_size": 64,
        "loss": "bce",
        "lr_g": 1e-4,
        "lr_d": 1e-4,
        "beta1": 0.5,
        "beta2": 0.999,
    },
    "topk": {"gamma": 0.99, "nu": 0.75, "decay": "epoch"},
    "arms": [
        {"name": "baseline", "topk_mode": "none"},
        {"name": "topk", "topk_mode": "top"},
    ],
    "seeds": [0],
    "eval": {
        "every_epochs": 1,
        "num_samples": 500,
        "threshold_std": 4,
        "min_samples": 5,
    },
    "device": "cpu",
}


@pytest.fixture
def config() -> dict:
    return copy.deepcopy(SMALL_CONFIG)


def parse_strict(text: str) -> dict:
    """json.loads that fails on NaN, Infinity and -Infinity."""

    def reject(constant: str):
        raise AssertionError(f"non-standard JSON constant {constant} in {text}")

    return json.loads(text, parse_constant=reject)
