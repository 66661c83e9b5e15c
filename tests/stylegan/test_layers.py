"""Style mixing, truncation, the [1,3,3,1] blur and minibatch stddev against hand computations."""

import numpy as np

from tfgan.families.stylegan import networks


def test_style_mixing_switches_codes_at_the_chosen_layer():
    w1, w2 = np.zeros((2, 3), "float32"), np.ones((2, 3), "float32")
    mixed = np.asarray(networks.mix_styles(w1, w2, np.array([2, 5]))(6))
    assert mixed.shape == (2, 6, 3)
    np.testing.assert_array_equal(mixed[0, :, 0], [0, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(mixed[1, :, 0], [0, 0, 0, 0, 0, 1])


def test_truncation():
    w, avg = np.array([[2.0, 4.0]]), np.array([0.0, 2.0])
    np.testing.assert_allclose(networks.truncate(w, avg, 0.5), [[1.0, 3.0]])
    np.testing.assert_allclose(networks.truncate(w, avg, 1.0), w)


def test_blur_is_the_normalised_1331_filter():
    x = np.zeros((1, 8, 8, 2), "float32")
    x[0, 4, 4, 0] = 1.0  # an impulse: the output is the kernel itself
    y = np.asarray(networks.blur(x))
    taps = np.array([1, 3, 3, 1.0])
    want = np.outer(taps, taps) / 64
    np.testing.assert_allclose(y[0, 3:7, 3:7, 0], want[::-1, ::-1], atol=1e-6)
    np.testing.assert_allclose(y[..., 1], 0)
    np.testing.assert_allclose(y.sum(), 1.0, atol=1e-6)


def test_minibatch_stddev_appends_the_group_std():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 2, 2, 3)).astype("float32")
    y = np.asarray(networks.minibatch_stddev(x, group_size=2))
    assert y.shape == (4, 2, 2, 4)
    groups = x.reshape(2, 2, 2, 2, 3)
    want = np.sqrt(groups.var(axis=0) + 1e-8).mean(axis=(1, 2, 3))  # one value per group slot
    np.testing.assert_allclose(y[0, :, :, 3], want[0], rtol=1e-5)
    np.testing.assert_allclose(y[1, :, :, 3], want[1], rtol=1e-5)
    np.testing.assert_allclose(y[2, :, :, 3], want[0], rtol=1e-5)
