"""StyleGAN2's layers: modulated convolution against a hand computation, the mapping network."""

import numpy as np

from tfgan.families.stylegan import networks


def test_modulated_conv_equals_per_sample_demodulated_weights():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 6, 3)).astype("float32")
    kernel = rng.standard_normal((3, 3, 3, 4)).astype("float32")
    styles = rng.uniform(0.5, 2.0, (2, 3)).astype("float32")
    got = np.asarray(networks.modulated_conv2d(x, kernel, styles))
    for b in range(2):
        w = kernel * styles[b][None, None, :, None]
        w = w / np.sqrt((w**2).sum(axis=(0, 1, 2), keepdims=True) + networks.DEMOD_EPSILON)
        padded = np.pad(x[b], ((1, 1), (1, 1), (0, 0)))
        want = np.zeros((6, 6, 4), "float32")
        for i in range(6):
            for j in range(6):
                want[i, j] = np.einsum("hwc,hwco->o", padded[i : i + 3, j : j + 3], w)
        np.testing.assert_allclose(got[b], want, rtol=1e-4, atol=1e-4)


def test_demodulation_makes_unit_variance_outputs_for_unit_inputs():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 66, 66, 8)).astype("float32")
    kernel = (5 * rng.standard_normal((3, 3, 8, 6))).astype("float32")
    styles = rng.uniform(0.1, 10.0, (1, 8)).astype("float32")
    y = np.asarray(networks.modulated_conv2d(x, kernel, styles))[0, 1:-1, 1:-1]  # away from the padding
    np.testing.assert_allclose(y.var(axis=(0, 1)), np.ones(6), atol=0.08)
    raw = np.asarray(networks.modulated_conv2d(x, kernel, styles, demodulate=False))[0, 1:-1, 1:-1]
    assert raw.var(axis=(0, 1)).min() > 10  # without demodulation the scale is the weights'


def test_mapping_network_shapes_and_lr_multiplier():
    mapping = networks.mapping_network(latent_dim=16, w_dim=12, num_layers=8, lr_multiplier=0.01)
    dense = [layer for layer in mapping.layers if isinstance(layer, networks.EqualDense)]
    assert len(dense) == 8
    assert mapping(np.ones((3, 16), "float32")).shape == (3, 12)
    first = dense[0]
    # stored weights have std 1/0.01; used weights are stored * 0.01 / sqrt(fan_in)
    assert 80 < np.std(np.asarray(first.kernel)) < 120
    np.testing.assert_allclose(first.weight_gain, 0.01 / np.sqrt(16))
