import json

import pytest
import torch

from conftest import parse_strict
from topkgan.train.session import TrainingSession


def open_session(config, mode="none", seed=0) -> TrainingSession:
    return TrainingSession(config, {"name": mode, "topk_mode": mode}, seed, "cpu")


def train(session, k_per_step, mode=None) -> dict:
    request = {"k_per_step": k_per_step, "topk_mode": mode or session.arm["topk_mode"]}
    return parse_strict(session.train_chunk(json.dumps(request)))


def without_seconds(result: dict) -> dict:
    return {key: value for key, value in result.items() if key != "seconds"}


def get_weights(network: torch.nn.Module) -> list[torch.Tensor]:
    return [parameter.detach().clone() for parameter in network.parameters()]


def same_weights(first: list[torch.Tensor], second: list[torch.Tensor]) -> bool:
    return all(torch.equal(a, b) for a, b in zip(first, second, strict=True))


def test_when_arms_share_a_seed_then_weights_batches_and_latents_are_identical(config):
    none, top = open_session(config, "none"), open_session(config, "top")
    assert same_weights(get_weights(none.generator), get_weights(top.generator))
    assert same_weights(get_weights(none.discriminator), get_weights(top.discriminator))
    assert torch.equal(none.sample_real(64), top.sample_real(64))
    assert torch.equal(
        none.sample_latents(64, none.streams.latent),
        top.sample_latents(64, top.streams.latent),
    )


def test_when_latents_are_drawn_then_the_real_stream_does_not_move(config):
    first, second = open_session(config), open_session(config)
    second.sample_latents(64, second.streams.latent)
    assert torch.equal(first.sample_real(64), second.sample_real(64))
    streams = (first.streams.data, first.streams.latent, first.streams.selection)
    assert len({stream.initial_seed() for stream in streams}) == 3


def test_when_seeds_differ_then_weights_and_batches_differ(config):
    first, second = open_session(config, seed=0), open_session(config, seed=1)
    assert not same_weights(get_weights(first.generator), get_weights(second.generator))
    assert not torch.equal(first.sample_real(64), second.sample_real(64))


def test_when_a_session_opens_then_the_global_rng_is_untouched(config):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    open_session(config)
    assert torch.equal(torch.rand(3), expected)


def test_when_an_arm_and_seed_run_twice_then_results_are_bit_identical(config):
    first = train(open_session(config, "top"), [64, 60, 56, 48] * 3)
    second = train(open_session(config, "top"), [64, 60, 56, 48] * 3)
    assert without_seconds(first) == without_seconds(second)
    assert first["step"] == 12 and first["steps"] == 12 and first["k_used"] == 48
    assert first["non_finite"] is None


def test_when_top_keeps_the_whole_batch_then_it_equals_the_baseline(config):
    none, top = open_session(config, "none"), open_session(config, "top")
    assert without_seconds(train(none, [64] * 5)) == without_seconds(
        train(top, [64] * 5)
    )
    assert same_weights(get_weights(none.generator), get_weights(top.generator))


def test_when_k_is_below_the_batch_then_only_the_generator_update_changes(config):
    none, top = open_session(config, "none"), open_session(config, "top")
    train(none, [64])
    train(top, [32])
    assert same_weights(get_weights(none.discriminator), get_weights(top.discriminator))
    assert not same_weights(get_weights(none.generator), get_weights(top.generator))


@pytest.mark.parametrize("mode", ["top", "bottom"])
def test_when_k_is_below_the_batch_then_the_loss_sees_the_selected_logits(config, mode):
    seen = {}
    for name in ("none", mode):
        session = open_session(config, name)
        record_kept_logits(session, seen, name)
        train(session, [64 if name == "none" else 16])

    expected = torch.topk(seen["none"], 16, largest=mode == "top").values
    assert torch.equal(torch.sort(seen[mode]).values, torch.sort(expected).values)


def record_kept_logits(session, seen: dict, name: str) -> None:
    healthy_loss = session.generator_loss

    def recording_loss(kept_logits):
        seen[name] = kept_logits.detach().clone()
        return healthy_loss(kept_logits)

    session.generator_loss = recording_loss


@pytest.mark.parametrize("mode", ["bottom", "random"])
def test_when_other_modes_keep_fewer_then_the_generator_update_changes(config, mode):
    none, other = open_session(config, "none"), open_session(config, mode)
    train(none, [64])
    result = train(other, [16])
    assert result["k_used"] == 16
    assert not same_weights(get_weights(none.generator), get_weights(other.generator))


def test_when_the_loss_is_hinge_then_the_chunk_reports_sigmoid_scores(config):
    config["train"]["loss"] = "hinge"
    result = train(open_session(config), [64] * 3)
    assert 0 < result["d_real"] < 1 and 0 < result["d_fake"] < 1
    assert result["steps"] == 3


def test_when_the_chunk_finishes_then_means_are_plausible_for_bce(config):
    result = train(open_session(config), [64] * 4)
    assert result["loss_d"] == pytest.approx(2 * 0.693, abs=0.2)
    assert result["loss_g"] == pytest.approx(0.693, abs=0.2)
    assert result["seconds"] > 0


def test_when_the_generator_loss_turns_nan_then_the_chunk_stops_there(config):
    session = open_session(config)
    healthy_loss = session.generator_loss
    calls = []

    def failing_loss(kept_logits):
        calls.append(1)
        loss = healthy_loss(kept_logits)
        return loss * float("nan") if len(calls) == 3 else loss

    session.generator_loss = failing_loss
    reply = session.train_chunk(
        json.dumps({"k_per_step": [64] * 10, "topk_mode": "none"})
    )
    result = parse_strict(reply)
    assert result["non_finite"] == {"step": 3, "loss": "loss_g"}
    assert result["steps"] == 2 and result["step"] == 2
    assert all(result[name] is not None for name in ("loss_d", "loss_g", "d_real"))


def test_when_the_discriminator_is_infinite_at_once_then_every_mean_is_null(config):
    session = open_session(config)
    train(session, [64] * 2)
    with torch.no_grad():
        session.discriminator[0].weight.fill_(float("inf"))
    result = train(session, [64] * 5)
    assert result["non_finite"] == {"step": 3, "loss": "loss_d"}
    assert result["steps"] == 0 and result["step"] == 2
    assert result["loss_d"] is None and result["loss_g"] is None
    assert result["d_real"] is None and result["d_fake"] is None


def test_when_the_lr_is_huge_then_a_divergence_is_a_result_not_an_error(config):
    # one Adam step of size 1e12 on D makes its logits overflow float32
    config["train"].update(lr_d=1e12, lr_g=1e12)
    result = train(open_session(config), [64] * 20)
    assert result["non_finite"] is not None
    assert result["non_finite"]["step"] == result["step"] + 1


def test_when_the_request_is_bad_then_an_error_reply_names_the_field(config):
    session = open_session(config)
    reply = parse_strict(
        session.train_chunk(json.dumps({"k_per_step": [64], "topk_mode": "up"}))
    )
    assert reply["error"]["type"] == "ValueError"
    assert "'up'" in reply["error"]["message"]
    reply = parse_strict(
        session.train_chunk(json.dumps({"k_per_step": [], "topk_mode": "top"}))
    )
    assert "k_per_step" in reply["error"]["message"]


def test_describe_reports_the_session_shape(config):
    description = parse_strict(open_session(config).describe("{}"))
    assert description["device"] == "cpu"
    assert description["batch_size"] == 64
    assert description["steps_per_epoch"] == 10
    assert description["modes_total"] == 25
    assert description["torch"].startswith(torch.__version__.split("+")[0])


def test_when_evaluating_then_training_streams_do_not_move(config):
    evaluated, plain = open_session(config, "top"), open_session(config, "top")
    train(evaluated, [64] * 2)
    train(plain, [64] * 2)
    first = parse_strict(evaluated.evaluate(json.dumps({"num_samples": 300})))
    again = parse_strict(evaluated.evaluate(json.dumps({"num_samples": 300})))
    assert first == again and first["num_samples"] == 300
    assert sum(first["mode_counts"]) <= 300
    assert without_seconds(train(evaluated, [48] * 3)) == without_seconds(
        train(plain, [48] * 3)
    )


def test_when_writing_a_sample_plot_then_a_png_appears(config, tmp_path):
    session = open_session(config)
    path = tmp_path / "plots" / "samples.png"
    request = {"path": str(path), "title": "test plot", "num_samples": 200}
    reply = parse_strict(session.write_sample_plot(json.dumps(request)))
    assert reply == {"files": [str(path)]}
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_when_closed_then_later_calls_are_refused(config):
    session = open_session(config)
    assert parse_strict(session.close("{}"))["closed"] is True
    reply = parse_strict(session.train_chunk(json.dumps({"k_per_step": [64]})))
    assert reply["error"]["type"] == "RuntimeError"
