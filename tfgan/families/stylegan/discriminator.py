"""StyleGAN2's residual discriminator (Karras et al. 2020, Fig. 7c, config e/f).

FromRGB (1x1, leaky ReLU) at the image's resolution; one residual block
per resolution down to 8x8, each two 3x3 convolutions (the second
blurring and halving the resolution) beside a blurred, halved 1x1 skip
without bias, the sum scaled by 1/sqrt(2); at 4x4 minibatch standard
deviation (one feature), a 3x3 convolution, a dense layer and the logit.
Every layer has an equalised learning rate.

The blocks are named by their input resolution (``d{r}_*``), listed input
first by `blocks`: FreezeD (`freeze`) keeps the first N of them fixed.
"""

from __future__ import annotations

import math

import keras

from tfgan.families.stylegan import networks
from tfgan.families.stylegan.synthesis import channels_at, is_valid_size, resolutions

MBSTD_GROUP = 4
RESIDUAL_GAIN = 1.0 / math.sqrt(2.0)


def block_resolutions(image_size: int) -> tuple[int, ...]:
    """The residual blocks' input resolutions, input first: image_size, ..., 8."""
    return tuple(reversed(resolutions(image_size)[1:]))


def blocks(image_size: int) -> tuple[tuple[str, ...], ...]:
    """The layer names of each residual block, input first (the first holds FromRGB too), then the 4x4 epilogue."""
    names = []
    for i, r in enumerate(block_resolutions(image_size)):
        first = (f"d{r}_fromrgb",) if i == 0 else ()
        names.append((*first, f"d{r}_conv0", f"d{r}_conv1", f"d{r}_skip"))
    names.append(("d4_conv", "d4_fc", "d4_out"))
    return tuple(names)


def num_residual_blocks(image_size: int) -> int:
    """How many residual blocks the `image_size` discriminator has (the most FreezeD may freeze)."""
    return len(block_resolutions(image_size))


def discriminator_network(image_size, channels, *, channel_base, channel_max, name="discriminator") -> keras.Model:
    """The residual discriminator: images [N, S, S, channels] -> logits [N, 1].

    The batch must be a multiple of the minibatch-stddev group (4) or
    smaller than it.

    Raises:
      ValueError: `image_size` is not a power of two >= 16.
    """
    if not is_valid_size(image_size):
        raise ValueError(f"image_size must be a power of two >= 16, got {image_size}")

    def ch(r):
        return channels_at(r, channel_base, channel_max)

    images = keras.Input((image_size, image_size, channels), name="images")
    x = networks.EqualConv2D(ch(image_size), 1, name=f"d{image_size}_fromrgb")(images)
    for r in block_resolutions(image_size):
        skip = networks.EqualConv2D(
            ch(r // 2), 1, down=True, use_bias=False, activation=None, gain=RESIDUAL_GAIN, name=f"d{r}_skip"
        )(x)
        x = networks.EqualConv2D(ch(r), 3, name=f"d{r}_conv0")(x)
        x = networks.EqualConv2D(ch(r // 2), 3, down=True, gain=RESIDUAL_GAIN, name=f"d{r}_conv1")(x)
        x = keras.layers.Add(name=f"d{r}_add")([x, skip])
    x = networks.MinibatchStddev(MBSTD_GROUP, name="d4_mbstd")(x)
    x = networks.EqualConv2D(ch(4), 3, name="d4_conv")(x)
    x = keras.layers.Flatten(name="d4_flatten")(x)
    x = networks.EqualDense(ch(4), activation="lrelu", name="d4_fc")(x)
    logits = networks.EqualDense(1, name="d4_out")(x)
    return keras.Model(images, logits, name=name)


def freeze(discriminator: keras.Model, image_size: int, num_blocks: int) -> tuple[str, ...]:
    """FreezeD (Mo et al. 2020, "Freeze the Discriminator"): the first `num_blocks` blocks are not trained.

    Call before the optimiser is built: the frozen layers' weights leave
    ``discriminator.trainable_variables``. Returns the frozen layer names.
    """
    names = tuple(n for block in blocks(image_size)[:num_blocks] for n in block)
    for layer_name in names:
        discriminator.get_layer(layer_name).trainable = False
    return names
