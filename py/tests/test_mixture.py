import numpy as np
import pytest
import torch

from topkgan.data.mixture import get_mode_centres, sample_mixture


def grid(modes: int, spacing: float = 2.0) -> dict:
    return {"layout": "grid", "modes": modes, "spacing": spacing, "radius": 0.0}


def test_when_grid_25_then_centres_are_the_5x5_lattice_of_spacing_2():
    centres = get_mode_centres(grid(25))
    expected = [(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)]
    assert centres.dtype == np.float32
    np.testing.assert_array_equal(centres, np.array(expected, dtype=np.float32))


def test_when_grid_64_then_centres_are_odd_multiples_of_half_spacing():
    centres = get_mode_centres(grid(64))
    axis = [-7, -5, -3, -1, 1, 3, 5, 7]
    expected = [(x, y) for x in axis for y in axis]
    np.testing.assert_array_equal(centres, np.array(expected, dtype=np.float32))


def test_when_ring_8_then_centres_are_every_45_degrees_from_angle_0():
    centres = get_mode_centres({"layout": "ring", "modes": 8, "radius": 2.0})
    r = np.sqrt(2.0)
    expected = [(2, 0), (r, r), (0, 2), (-r, r), (-2, 0), (-r, -r), (0, -2), (r, -r)]
    assert centres.shape == (8, 2)
    np.testing.assert_allclose(centres, expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("modes", [24, 0, 2])
def test_when_grid_modes_is_not_a_perfect_square_then_it_is_refused(modes):
    with pytest.raises(ValueError, match="perfect square"):
        get_mode_centres(grid(modes))


def test_when_sampling_with_one_generator_seed_then_draws_repeat_and_sit_on_modes():
    centres = torch.from_numpy(get_mode_centres(grid(25)))
    first = sample_mixture(centres, 4000, 0.05, torch.Generator().manual_seed(3))
    again = sample_mixture(centres, 4000, 0.05, torch.Generator().manual_seed(3))
    assert first.shape == (4000, 2) and first.dtype == torch.float32
    assert torch.equal(first, again)

    nearest = torch.cdist(first, centres).min(dim=1)
    assert nearest.values.max() < 0.05 * 6
    assert len(torch.unique(nearest.indices)) == 25
