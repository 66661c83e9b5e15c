"""The synthesis network: shapes per resolution, the explicit W+ layout, deterministic noise at inference."""

import keras
import numpy as np
import pytest

from tfgan.families.stylegan import networks, synthesis


@pytest.mark.parametrize("size, num_ws", [(16, 6), (32, 8), (64, 10)])
def test_output_shape_and_num_ws_per_resolution(size, num_ws):
    assert synthesis.num_ws(size) == num_ws
    assert synthesis.resolutions(size)[-1] == size
    net = synthesis.synthesis_network(size, 3, w_dim=4, channel_base=16, channel_max=4)
    assert net.input_shape == (None, num_ws, 4)
    w_plus = np.random.default_rng(0).standard_normal((2, num_ws, 4)).astype("float32")
    assert net(w_plus).shape == (2, size, size, 3)
    # every row of W+ styles at least one layer, and the layout names real layers
    assert sorted({layer.w_index for layer in synthesis.layout(size)}) == list(range(num_ws))
    for names in synthesis.layers_by_resolution(size).values():
        for name in names:
            net.get_layer(name)


def test_the_paper_sizes():
    assert synthesis.num_ws(1024) == 18 and synthesis.num_ws(256) == 14
    assert synthesis.channels_at(1024, 32768, 512) == 32 and synthesis.channels_at(64, 32768, 512) == 512
    assert synthesis.ws_by_resolution(32) == {4: (0, 1), 8: (1, 2, 3), 16: (3, 4, 5), 32: (5, 6, 7)}
    assert not synthesis.is_valid_size(24) and not synthesis.is_valid_size(8) and synthesis.is_valid_size(16)
    with pytest.raises(ValueError, match="power of two"):
        synthesis.synthesis_network(24, 1, w_dim=4, channel_base=16, channel_max=4)


def test_each_w_plus_row_first_reaches_the_layer_the_layout_names():
    size = 32
    # At least 4 feature maps everywhere: with one input channel demodulation cancels the style.
    net = synthesis.synthesis_network(size, 1, w_dim=4, channel_base=128, channel_max=4)
    layout = synthesis.layout(size)
    # the styled layers' outputs, in the order they run
    probe = keras.Model(net.input, [net.get_layer(layer.name).output for layer in layout])
    rng = np.random.default_rng(1)
    w_plus = rng.standard_normal((1, synthesis.num_ws(size), 4)).astype("float32")
    base = [np.asarray(o) for o in probe(w_plus)]
    for row in range(synthesis.num_ws(size)):
        moved = w_plus.copy()
        moved[:, row] += 1.0
        outs = [np.asarray(o) for o in probe(moved)]
        hit = [not np.allclose(a, b) for a, b in zip(base, outs, strict=True)]
        first = hit.index(True)
        assert layout[first].w_index == row, (row, layout[first])
        assert net.get_layer(layout[first].name).w_index == row
        assert not any(hit[:first])


def test_inference_uses_the_stored_noise_training_draws_fresh_noise():
    net = synthesis.synthesis_network(16, 1, w_dim=4, channel_base=32, channel_max=4)
    for layer in net.layers:
        if isinstance(layer, networks.StyledConv):
            layer.noise_strength.assign(np.ones(layer.filters, "float32"))
    w_plus = np.random.default_rng(2).standard_normal((2, 6, 4)).astype("float32")
    np.testing.assert_array_equal(net(w_plus, training=False), net(w_plus, training=False))
    assert not np.allclose(net(w_plus, training=True), net(w_plus, training=True))
    assert not np.allclose(net(w_plus, training=True), net(w_plus, training=False))


def test_upsampling_keeps_a_constant_and_downsampling_keeps_the_mean():
    x = np.full((1, 6, 6, 2), 3.0, "float32")
    up = np.asarray(networks.upsample2d(x))
    assert up.shape == (1, 12, 12, 2)
    np.testing.assert_allclose(up[0, 2:-2, 2:-2], 3.0, rtol=1e-6)  # away from the zero padding
    y = np.random.default_rng(3).standard_normal((1, 8, 8, 1)).astype("float32")
    down = np.asarray(networks.downsample2d(np.pad(y, ((0, 0), (8, 8), (8, 8), (0, 0)), mode="wrap")))
    assert down.shape == (1, 12, 12, 1)
    np.testing.assert_allclose(down.mean(), np.pad(y, ((0, 0), (8, 8), (8, 8), (0, 0)), mode="wrap").mean(), atol=0.05)


def test_the_rgb_output_sums_the_upsampled_lower_resolutions():
    net = synthesis.synthesis_network(16, 1, w_dim=4, channel_base=32, channel_max=4)
    w_plus = np.random.default_rng(4).standard_normal((2, 6, 4)).astype("float32")
    probe = keras.Model(net.input, [net.get_layer(n).output for n in ("b8_rgb", "b16_torgb")])
    rgb8, torgb16 = (np.asarray(o) for o in probe(w_plus))
    want = np.asarray(networks.upsample2d(rgb8)) + torgb16
    np.testing.assert_allclose(np.asarray(net(w_plus)), want, rtol=1e-5, atol=1e-5)
