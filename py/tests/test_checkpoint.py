"""Checkpoints: a saved and restored session continues bit for bit."""

import json

import pytest

from topkgan.train.checkpoint import read_checkpoint
from topkgan.train.session import TrainingSession


def open_session(config, mode="top"):
    return TrainingSession(config, {"name": mode, "topk_mode": mode}, seed=3)


def call(method, request):
    reply = json.loads(method(json.dumps(request)))
    assert "error" not in reply, reply
    return reply


def train(session, steps, k=48):
    reply = call(session.train_chunk, {"k_per_step": [k] * steps, "topk_mode": "top"})
    reply.pop("seconds")
    return reply


def test_when_a_session_is_restored_then_it_continues_exactly(config, tmp_path):
    path = str(tmp_path / "step.pt")
    original = open_session(config)
    train(original, 7)
    saved = call(original.save_checkpoint, {"path": path})
    expected = [train(original, 5), call(original.evaluate, {"num_samples": 300})]

    restored = open_session(config)
    assert call(restored.load_checkpoint, {"path": path})["step"] == saved["step"] == 7
    assert [train(restored, 5), call(restored.evaluate, {"num_samples": 300})] == expected


def test_when_reseeded_then_the_streams_differ_from_the_saved_ones(config, tmp_path):
    path = str(tmp_path / "step.pt")
    original = open_session(config)
    train(original, 3)
    call(original.save_checkpoint, {"path": path})
    continued = train(original, 4)

    reseeded = open_session(config)
    call(reseeded.load_checkpoint, {"path": path, "reseed": 1})
    assert train(reseeded, 4)["loss_d"] != continued["loss_d"]


def test_when_the_file_is_cut_short_then_loading_fails_with_an_error_reply(config, tmp_path):
    path = tmp_path / "step.pt"
    session = open_session(config)
    call(session.save_checkpoint, {"path": str(path)})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    reply = json.loads(session.load_checkpoint(json.dumps({"path": str(path)})))
    # torch reports a cut zip archive as one of these, depending on where it ends
    assert reply["error"]["type"] in {"RuntimeError", "EOFError", "OSError", "UnpicklingError"}


def test_when_saved_then_no_temporary_file_is_left_and_the_hash_matches(config, tmp_path):
    import hashlib

    path = tmp_path / "step.pt"
    reply = call(open_session(config).save_checkpoint, {"path": str(path)})
    assert [p.name for p in tmp_path.iterdir()] == ["step.pt"]
    assert reply["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert reply["bytes"] == path.stat().st_size
    assert read_checkpoint(str(path))["step"] == 0


def test_when_a_stop_cuts_an_epoch_then_its_carry_restores_the_exact_means(
    config, monkeypatch
):
    from topkgan.train import process_control

    whole = train(open_session(config), 6)

    session = open_session(config)
    checks = iter([None, None, None, "SIGUSR1"])
    monkeypatch.setattr(process_control, "stop_requested", lambda: next(checks))
    cut = call(session.train_chunk, {"k_per_step": [48] * 6, "topk_mode": "top"})
    assert (cut["stopped"], cut["steps"], cut["step"], len(cut["carry"])) == (
        "SIGUSR1", 3, 3, 3,
    )

    monkeypatch.setattr(process_control, "stop_requested", lambda: None)
    request = {"k_per_step": [48] * 3, "topk_mode": "top", "carry": cut["carry"]}
    rest = call(session.train_chunk, request)
    for name in ("loss_d", "loss_g", "d_real", "d_fake"):
        assert rest[name] == whole[name]
    assert (rest["step"], rest["steps"], rest["stopped"]) == (6, 3, None)
