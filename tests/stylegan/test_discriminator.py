"""The residual discriminator: shapes, the residual block's arithmetic, FreezeD."""

import math

import keras
import numpy as np

from tfgan.families.stylegan import discriminator, networks


def test_logits_per_image_and_the_block_names():
    d = discriminator.discriminator_network(32, 3, channel_base=64, channel_max=8)
    x = np.random.default_rng(0).standard_normal((4, 32, 32, 3)).astype("float32")
    assert d(x).shape == (4, 1)
    assert discriminator.num_residual_blocks(32) == 3
    blocks = discriminator.blocks(32)
    assert blocks[0] == ("d32_fromrgb", "d32_conv0", "d32_conv1", "d32_skip") and blocks[-1][0] == "d4_conv"
    for block in blocks:
        for name in block:
            d.get_layer(name)


def test_a_residual_block_is_the_scaled_sum_of_its_two_paths():
    d = discriminator.discriminator_network(16, 1, channel_base=64, channel_max=8)
    x = np.random.default_rng(1).standard_normal((2, 16, 16, 1)).astype("float32")
    names = ("d16_fromrgb", "d16_conv1", "d16_skip", "d16_add")
    h, main, skip, out = (np.asarray(o) for o in keras.Model(d.input, [d.get_layer(n).output for n in names])(x))
    assert out.shape == (2, 8, 8, 8)
    np.testing.assert_allclose(out, main + skip, rtol=1e-6)
    # the skip path: blurred, halved, 1x1, no bias, times 1/sqrt(2)
    layer = d.get_layer("d16_skip")
    kernel = np.asarray(layer.kernel) * layer.weight_gain
    want = np.einsum("bhwc,co->bhwo", np.asarray(networks.downsample2d(h)), kernel[0, 0]) / math.sqrt(2)
    np.testing.assert_allclose(skip, want, rtol=1e-5, atol=1e-6)


def test_freeze_takes_the_first_blocks_out_of_training():
    d = discriminator.discriminator_network(16, 1, channel_base=64, channel_max=8)
    everything = len(d.trainable_variables)
    frozen = discriminator.freeze(d, 16, 1)
    assert frozen == ("d16_fromrgb", "d16_conv0", "d16_conv1", "d16_skip")
    trainable = {v.path.split("/")[0] for v in d.trainable_variables}
    assert not trainable & set(frozen) and "d8_conv0" in trainable
    assert len(d.trainable_variables) == everything - 7  # 3 kernels + biases, and the skip's kernel
