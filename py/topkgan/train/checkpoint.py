"""Checkpoint files of one TrainingSession: everything needed to continue.

A checkpoint holds both networks, both optimisers, the step, every random
state (the session's stream generators, torch's, numpy's and Python's global
ones) and whatever the caller adds under `extra`. It is written to a
temporary file, flushed to disk and renamed, so a reader sees either the old
file or the whole new one. Integrity (sha256) is checked by the caller from
the manifest it writes beside the file.
"""

import hashlib
import os
import random

import numpy as np
import torch

FORMAT_VERSION = 1


def write_checkpoint(path: str, state: dict) -> dict:
    """Write `state` atomically to `path`; return its size and sha256."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        with open(temporary, "wb") as file:
            torch.save({"format": FORMAT_VERSION, **state}, file)
            file.flush()
            os.fsync(file.fileno())
        digest = hash_file(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    sync_directory(directory)
    return {"path": path, "bytes": os.path.getsize(path), "sha256": digest}


def read_checkpoint(path: str) -> dict:
    """Load a checkpoint written by `write_checkpoint` onto the CPU."""
    # our own files hold numpy and Python random states, which the
    # weights-only loader refuses
    state = torch.load(path, map_location="cpu", weights_only=False)
    if not isinstance(state, dict) or state.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path}: not a topk-gan checkpoint of format {FORMAT_VERSION}")
    return state


def hash_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sync_directory(directory: str) -> None:
    """Make the rename itself durable."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def capture_global_random_states() -> dict:
    states = {
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_global_random_states(states: dict) -> None:
    torch.set_rng_state(states["torch"])
    np.random.set_state(states["numpy"])
    random.setstate(states["python"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
