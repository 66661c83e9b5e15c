import keras
import numpy as np
import pytest

from tfgan.families.image import networks


@pytest.mark.parametrize(
    "model,shape",
    [
        ("mlp", (8, 8, 1)),
        ("mlp", (28, 28, 1)),
        ("dcgan", (8, 8, 1)),
        ("dcgan", (16, 16, 3)),
        ("dcgan", (28, 28, 1)),
        ("dcgan", (32, 32, 3)),
    ],
)
def test_output_shapes_and_ranges(model, shape):
    nets = networks.build(model, 10, shape)
    z = networks.sample_noise(nets.noise, (3, 10), seed=0)
    images = keras.ops.convert_to_numpy(nets.generator(z, training=False))
    assert images.shape == (3, *shape)
    low, high = nets.output_range
    assert images.min() >= low and images.max() <= high
    logits = keras.ops.convert_to_numpy(nets.discriminator(images, training=False))
    assert logits.shape == (3, 1) and np.all(np.isfinite(logits))


def test_mlp_matches_the_papers_networks():
    nets = networks.build("mlp", 100, (28, 28, 1))
    dense = [layer for layer in nets.generator.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [1200, 1200, 784]
    assert [layer.activation.__name__ for layer in dense] == ["relu", "relu", "sigmoid"]
    maxouts = [layer for layer in nets.discriminator.layers if isinstance(layer, networks.Maxout)]
    assert [(m.units, m.pieces) for m in maxouts] == [(240, 5), (240, 5)]
    rates = [layer.rate for layer in nets.discriminator.layers if isinstance(layer, keras.layers.Dropout)]
    assert rates == pytest.approx([0.2, 0.5, 0.5])  # keep 0.8 of the input, 0.5 of hidden units
    assert nets.noise == "uniform" and nets.output_range == (0.0, 1.0)


def test_mlp_output_bias_starts_at_the_data_marginals():
    mean = np.linspace(0.0, 1.0, 64).reshape(8, 8, 1)
    nets = networks.build("mlp", 10, (8, 8, 1), pixel_mean=mean)
    bias = keras.ops.convert_to_numpy(nets.generator.layers[2].bias)
    p = np.clip(mean.ravel(), 1e-3, 1 - 1e-3)
    np.testing.assert_allclose(bias, np.log(p / (1 - p)), rtol=1e-5)
    # dcgan has no such bias and ignores the mean: the same seed gives the same weights with or without it.
    keras.utils.set_random_seed(1)
    with_mean = networks.build("dcgan", 10, (8, 8, 1), pixel_mean=mean).generator.get_weights()
    keras.utils.set_random_seed(1)
    without = networks.build("dcgan", 10, (8, 8, 1)).generator.get_weights()
    assert len(with_mean) == len(without) > 0
    assert all(np.array_equal(a, b) for a, b in zip(with_mean, without, strict=True))


def test_dcgan_at_28_is_the_tutorial_model():
    nets = networks.build("dcgan", 100, (28, 28, 1))
    g = nets.generator
    assert g.count_params() == 2_330_944  # the TF DCGAN tutorial's generator
    assert nets.discriminator.count_params() == 212_865  # and its discriminator
    assert nets.noise == "normal" and nets.output_range == (-1.0, 1.0)


def test_maxout_is_max_over_pieces():
    layer = networks.Maxout(3, 2)
    x = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
    y = keras.ops.convert_to_numpy(layer(x))
    kernel, bias = (keras.ops.convert_to_numpy(w) for w in layer.dense.weights)
    expected = (x @ kernel + bias).reshape(4, 3, 2).max(axis=-1)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "size,expected", [(8, (4, 1)), (16, (4, 2)), (28, (7, 2)), (32, (4, 3)), (64, (4, 4)), (12, (6, 1))]
)
def test_dcgan_sizes(size, expected):
    assert networks.dcgan_upsamplings(size) == expected


@pytest.mark.parametrize("size", [4, 30, 100])
def test_dcgan_refuses_sizes_it_cannot_make(size):
    with pytest.raises(ValueError, match="image_size"):
        networks.build("dcgan", 10, (size, size, 1))


def test_unknown_model():
    with pytest.raises(ValueError, match="mlp, dcgan"):
        networks.build("resnet9", 10, (8, 8, 1))


@pytest.mark.parametrize(
    "kernel,kwargs,fast",
    [
        (3, dict(strides=1, padding="same"), True),
        (5, dict(strides=1, padding="same", use_bias=False, activation="tanh"), True),
        (5, dict(strides=2, padding="same"), True),
        (4, dict(strides=2, padding="same"), True),
        (4, dict(strides=1, padding="same"), False),
        (5, dict(strides=1, padding="valid"), False),
        (5, dict(strides=3, padding="same"), False),
        (3, dict(strides=2, padding="same"), False),  # subpixel_wins: 16 taps for 9
    ],
)
def test_conv2d_transpose_equals_keras_layer_with_gradients(kernel, kwargs, fast):
    import tensorflow as tf

    from tfgan.convolution import Conv2DTranspose, cpu_only

    x = tf.random.stateless_normal([3, 5, 6, 4], seed=[0, 1])
    filters = 32  # the fewest output channels for which stride 2 takes the sub-pixel form
    ours, theirs = Conv2DTranspose(filters, kernel, **kwargs), keras.layers.Conv2DTranspose(filters, kernel, **kwargs)
    theirs.build(x.shape)
    ours.build(x.shape)
    ours.set_weights([w + 0.1 for w in theirs.get_weights()])  # a nonzero bias
    theirs.set_weights(ours.get_weights())
    assert ours._fast() is (fast and cpu_only())
    results = []
    for layer in (ours, theirs):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(tf.sin(y))  # a non-uniform upstream gradient
        results.append([y, *tape.gradient(loss, [x, *layer.trainable_variables])])
    assert len(results[0]) == len(results[1]) == 2 + len(theirs.trainable_variables)
    for a, b in zip(*results, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-5)


def test_conv2d_transpose_with_few_channels_stays_keras():
    from tfgan.convolution import Conv2DTranspose

    layer = Conv2DTranspose(31, 5, strides=2, padding="same")
    layer.build((None, 7, 7, 64))
    assert not layer._fast()


@pytest.mark.parametrize(
    "kernel,kwargs,shape,fast",
    [
        (5, dict(strides=2, padding="same"), (3, 6, 8, 32), True),
        (4, dict(strides=2, padding="same", use_bias=False, activation="tanh"), (3, 6, 4, 32), True),
        (5, dict(strides=2, padding="same"), (3, 7, 8, 32), False),  # odd height
        (5, dict(strides=2, padding="same"), (3, 6, 8, 31), False),  # subpixel_wins
        (3, dict(strides=2, padding="same"), (3, 6, 8, 32), False),
        (5, dict(strides=1, padding="same"), (3, 6, 8, 32), False),
        (5, dict(strides=2, padding="valid"), (3, 6, 8, 32), False),
    ],
)
def test_conv2d_equals_keras_layer_with_first_and_second_gradients(kernel, kwargs, shape, fast):
    """Outputs, gradients, and the gradient of an input-gradient norm (what R1 and WGAN-GP differentiate)."""
    import tensorflow as tf

    from tfgan.convolution import Conv2D, cpu_only

    x = tf.random.stateless_normal(shape, seed=[0, 2])
    ours, theirs = Conv2D(5, kernel, **kwargs), keras.layers.Conv2D(5, kernel, **kwargs)
    theirs.build(x.shape)
    ours.build(x.shape)
    ours.set_weights([w + 0.1 for w in theirs.get_weights()])  # a nonzero bias
    theirs.set_weights(ours.get_weights())
    assert ours._fast(x.shape) is (fast and cpu_only())
    results = []
    for layer in (ours, theirs):
        with tf.GradientTape(persistent=True) as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                y = layer(x)
                loss = tf.reduce_sum(tf.sin(y))  # a non-uniform upstream gradient
            dx = inner.gradient(loss, x)
            penalty = tf.reduce_sum(tf.square(dx) * tf.cos(x))
        first = outer.gradient(loss, [x, *layer.trainable_variables])
        second = outer.gradient(penalty, layer.trainable_variables)
        results.append([y, dx, *first, *second])
    assert len(results[0]) == len(results[1]) == 2 + 1 + 2 * len(theirs.trainable_variables)
    for a, b in zip(*results, strict=True):
        assert a is not None and b is not None
        assert a.shape == b.shape
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-4)


def test_dcgan_discriminator_uses_the_fast_convolution_where_it_wins():
    from tfgan.convolution import Conv2D, cpu_only

    d = networks.build("dcgan", 16, (28, 28, 1)).discriminator
    convs = [layer for layer in d._flatten_layers() if isinstance(layer, Conv2D)]
    assert [c._fast(c.input.shape) for c in convs] == [False, cpu_only()]  # 1 input channel, then 64
