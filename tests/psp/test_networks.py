"""The pSp encoder's shape, its W+ split, and the two losses against hand computations."""

import numpy as np
import pytest

from tfgan.families.psp import losses, networks


@pytest.mark.parametrize(
    "num_ws, split",
    [(18, (3, 4, 11)), (14, (3, 4, 7)), (10, (3, 4, 3)), (8, (2, 4, 2)), (6, (2, 3, 1))],
)
def test_the_style_split_is_psps_3_4_rest_and_gives_every_map_a_row(num_ws, split):
    assert networks.style_split(num_ws) == split


def test_each_w_plus_row_reads_the_map_its_group_names():
    enc = networks.encoder_network(32, 1, num_ws=8, w_dim=8, width=4, width_max=8)
    assert enc.output_shape == (None, 8, 8)
    # The first convolution of row i's map2style sees the coarse (S/16 = 2), medium (4) or fine (8) map.
    sides = [enc.get_layer(f"style{i}_conv0").input.shape[1] for i in range(8)]
    assert sides == [2, 2, 4, 4, 4, 4, 8, 8]
    # ...and halves it down to 1x1: log2(side) strided convolutions.
    assert [len([layer for layer in enc.layers if layer.name.startswith(f"style{i}_conv")]) for i in (0, 2, 7)] == [
        1,
        2,
        3,
    ]


def test_a_bad_size_or_too_few_rows_is_refused():
    with pytest.raises(ValueError, match="power-of-two side >= 16"):
        networks.encoder_network(24, 1, num_ws=6, w_dim=8)
    with pytest.raises(ValueError, match="at least 3 W\\+ rows"):
        networks.style_split(2)


def test_the_reconstruction_loss_is_the_mean_squared_pixel_error():
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-1, 1, (2, 4, 4, 3)).astype("float32"), rng.uniform(-1, 1, (2, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(float(losses.psp_reconstruction_loss(x, y)), np.mean((x - y) ** 2), rtol=1e-6)


def test_the_w_norm_loss_is_the_mean_norm_of_each_code_minus_the_mean_w():
    w_avg = np.array([1.0, 2.0], "float32")
    # Image 0: offset (3, 4) in one row and 0 in the other: norm 5; image 1: at the mean: 0.
    w_plus = np.stack([[[4.0, 6.0], [1.0, 2.0]], [[1.0, 2.0], [1.0, 2.0]]]).astype("float32")
    assert float(losses.psp_w_norm_loss(w_plus, w_avg)) == pytest.approx(2.5)
