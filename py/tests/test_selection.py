import json

import pytest
import torch

from conftest import REPO_ROOT
from topkgan.train.selection import effective_k, select_indices

FIXTURE = REPO_ROOT / "test" / "fixtures" / "selection-vectors.json"
CASES = json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_shared_selection_case(case):
    scores = torch.tensor(case["scores"], dtype=torch.float32)
    kept = select_indices(scores, case["k"], case["batch_size"], case["mode"])
    assert kept.dtype == torch.int64
    assert kept.tolist() == case["expected"]


def test_the_fixture_holds_cases():
    assert len(CASES) >= 10


@pytest.mark.parametrize(
    "k, batch_size, n, expected",
    [
        (192, 256, 256, 192),
        (6, 8, 4, 3),
        (1, 8, 2, 1),
        (8, 8, 2, 2),
        (300, 256, 256, 256),
        (4, 10, 5, 2),
        (0, 10, 10, 1),
        (255, 256, 128, 127),
    ],
)
def test_effective_k(k, batch_size, n, expected):
    assert effective_k(k, batch_size, n) == expected


def test_when_mode_is_random_then_k_distinct_sorted_indices_repeat_with_the_seed():
    scores = torch.zeros(64)
    first = select_indices(scores, 48, 64, "random", torch.Generator().manual_seed(5))
    again = select_indices(scores, 48, 64, "random", torch.Generator().manual_seed(5))
    other = select_indices(scores, 48, 64, "random", torch.Generator().manual_seed(6))
    assert len(first) == 48 and len(set(first.tolist())) == 48
    assert first.tolist() == sorted(first.tolist())
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_when_mode_is_unknown_then_the_error_names_it():
    with pytest.raises(ValueError, match="'sideways'"):
        select_indices(torch.zeros(4), 2, 4, "sideways")


def test_when_top_runs_on_random_scores_then_it_keeps_exactly_the_largest():
    scores = torch.randn(256, generator=torch.Generator().manual_seed(0))
    kept = select_indices(scores, 100, 256, "top")
    threshold = scores[kept].min()
    assert (scores > threshold).sum() == 99
