import numpy as np
import pytest
import tensorflow as tf

from tfgan import augment

SHAPE = (4, 8, 8, 3)


def images(seed=0):
    return tf.random.stateless_uniform(SHAPE, [seed, 1], -1, 1)


@pytest.mark.parametrize("policy", ["color", "translation", "cutout", "color,translation,cutout"])
def test_shape_and_dtype_preserved_and_gradients_flow(policy):
    aug = augment.DiffAugment(policy, seed=0)
    x = images()
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = aug(x)
        loss = tf.reduce_sum(y * images(1))
    assert y.shape == x.shape and y.dtype == x.dtype
    grad = tape.gradient(loss, x)
    assert grad is not None and np.all(np.isfinite(grad.numpy())) and np.any(grad.numpy() != 0)
    assert not np.allclose(y.numpy(), x.numpy())  # it did transform


def test_translation_shifts_content_and_pads_with_zeros():
    x = np.zeros((2, 8, 8, 1), np.float32)
    x[:, 3, 4, 0] = 1.0
    shifts = (tf.constant([[1], [-1]]), tf.constant([[-1], [0]]))  # (dy, dx) per image
    y = augment.translation(tf.constant(x), None, shifts=shifts).numpy()
    # out[i, j] = in[i + dy, j + dx]: image 0's pixel moves to (2, 5), image 1's to (4, 4).
    assert y[0, 2, 5, 0] == 1.0 and y[1, 4, 4, 0] == 1.0 and y.sum() == 2.0
    full = np.ones((1, 8, 8, 1), np.float32)
    y = augment.translation(tf.constant(full), None, shifts=(tf.constant([[1]]), tf.constant([[0]]))).numpy()
    assert np.all(y[0, 7] == 0) and np.all(y[0, :7] == 1)  # the row shifted in is zero padding


def test_random_translation_stays_within_an_eighth():
    x = np.zeros((64, 16, 16, 1), np.float32)
    x[:, 8, 8, 0] = 1.0
    y = augment.DiffAugment("translation", seed=3)(tf.constant(x)).numpy()
    rows, cols = np.nonzero(y[..., 0].sum(axis=2))[1], np.nonzero(y[..., 0].sum(axis=1))[1]
    assert np.all(np.abs(rows - 8) <= 2) and np.all(np.abs(cols - 8) <= 2)  # 16 / 8 = 2
    assert len(set(zip(rows, cols, strict=True))) > 5  # per-example shifts


def test_cutout_zeroes_a_half_size_square():
    y = augment.DiffAugment("cutout", seed=1)(tf.ones((16, 8, 8, 1))).numpy()
    erased = (y == 0).sum(axis=(1, 2, 3))
    assert np.all(erased <= 16) and np.all(erased >= 4)  # a 4x4 square, possibly clipped by the border
    assert len(set(erased.tolist())) > 1 or not np.array_equal(y[0], y[1])


def test_off_is_identity_and_unknown_names_fail_clearly():
    assert augment.parse_policy("") == ()
    assert augment.parse_policy(" translation , cutout ") == ("translation", "cutout")
    with pytest.raises(ValueError, match="unknown DiffAugment transform.*rotate.*choose from: color, translation"):
        augment.parse_policy("translation,rotate")


def test_same_seed_same_parameters():
    a = augment.DiffAugment("color,translation,cutout", seed=5)(images()).numpy()
    b = augment.DiffAugment("color,translation,cutout", seed=5)(images()).numpy()
    np.testing.assert_array_equal(a, b)
