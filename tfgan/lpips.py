"""LPIPS, the learned perceptual image distance (Zhang et al. 2018, "The Unreasonable Effectiveness of Deep Features as a Perceptual Metric"), from a user's weights file.

As the reference ``lpips`` package (richzhang/PerceptualSimilarity, v0.1),
which pSp's ``criteria/lpips`` reproduces: images in [-1, 1] are shifted and
scaled per channel (its ``ScalingLayer``), run through AlexNet's or VGG16's
convolutional features, and at five ReLU taps each feature vector is divided
by its L2 norm (+1e-10); the squared difference of two images' normalised
features is weighted per channel by a learned non-negative linear head
(a 1x1 convolution without bias), averaged over the map, and the five
layers' averages are summed. Identical images are at distance 0.

tfgan ships no weights (none can be downloaded here): the file is the
``lpips`` package's network as written by ``python -m tfgan.convert_weights
--lpips=alex`` on a machine that has PyTorch and torchvision's ImageNet
weights (its keys ``net.slice{1-5}.{i}.weight/bias`` and
``lin{0-4}.model.1.weight``, PyTorch layouts). The convolutions pad
explicitly, as PyTorch does, so the features match the original's.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tfgan.errors import ConfigError
from tfgan.torchweights import StateReader, WeightsError, read_state

# Per-channel shift and scale of the lpips package's ScalingLayer (ImageNet statistics in [-1, 1]).
SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)
EPSILON = 1e-10


def _conv(index: int, filters: int, kernel: int, stride: int = 1, pad: int = 1):
    return ("conv", index, filters, kernel, stride, pad)


_POOL3, _POOL2 = ("pool", 3, 2), ("pool", 2, 2)
# torchvision's `features` split as the lpips package's slices: each slice ends
# at one of the five ReLU taps; a conv's number is its index in `features`.
NETS = {
    "alex": (
        (_conv(0, 64, 11, 4, 2),),
        (_POOL3, _conv(3, 192, 5, 1, 2)),
        (_POOL3, _conv(6, 384, 3)),
        (_conv(8, 256, 3),),
        (_conv(10, 256, 3),),
    ),
    "vgg": (
        (_conv(0, 64, 3), _conv(2, 64, 3)),
        (_POOL2, _conv(5, 128, 3), _conv(7, 128, 3)),
        (_POOL2, _conv(10, 256, 3), _conv(12, 256, 3), _conv(14, 256, 3)),
        (_POOL2, _conv(17, 512, 3), _conv(19, 512, 3), _conv(21, 512, 3)),
        (_POOL2, _conv(24, 512, 3), _conv(26, 512, 3), _conv(28, 512, 3)),
    ),
}


def _tap_sizes(net: str, size: int) -> list[int]:
    sizes = []
    for stage in NETS[net]:
        for op in stage:
            if op[0] == "pool":
                size = (size - op[1]) // op[2] + 1
            else:
                _, _, _, kernel, stride, pad = op
                size = (size + 2 * pad - kernel) // stride + 1
        sizes.append(size)
    return sizes


def min_size(net: str) -> int:
    """The smallest square input whose every tap keeps at least one pixel (AlexNet: 31, VGG16: 16)."""
    size = 1
    while min(_tap_sizes(net, size)) < 1:
        size += 1
    return size


def feature_network(net: str, name: str = "lpips_features") -> keras.Model:
    """The frozen feature extractor: RGB [N, H, W, 3] in [-1, 1] -> the five tap maps (ReLU outputs).

    Layers are named ``slice{k}_{i}`` after the lpips package's
    ``net.slice{k}.{i}``.
    """
    images = keras.Input((None, None, 3), name="images")
    x = keras.layers.Rescaling(
        scale=[1 / s for s in SCALE], offset=[-m / s for m, s in zip(SHIFT, SCALE, strict=True)], name="scaling"
    )(images)
    taps = []
    for k, stage in enumerate(NETS[net], start=1):
        for op in stage:
            if op[0] == "pool":
                x = keras.layers.MaxPooling2D(op[1], strides=op[2], padding="valid")(x)
                continue
            _, index, filters, kernel, stride, pad = op
            x = keras.layers.ZeroPadding2D(pad)(x)
            x = keras.layers.Conv2D(filters, kernel, strides=stride, name=f"slice{k}_{index}")(x)
            x = keras.layers.ReLU()(x)
        taps.append(x)
    model = keras.Model(images, taps, name=name)
    model.trainable = False
    return model


class LPIPS:
    """The LPIPS distance of one network and its linear heads.

    Args:
      net: "alex" or "vgg".
      features: `feature_network(net)` with its weights.
      heads: The five linear heads, each [C_k] (non-negative in the
        released weights).
    """

    def __init__(self, net: str, features: keras.Model, heads):
        self.net, self.features = net, features
        self.heads = [tf.constant(np.asarray(h, np.float32)) for h in heads]

    def check_size(self, image_size: int, flag: str = "--lpips_weights") -> None:
        """Raises ConfigError when images of `image_size` px are too small for the network."""
        need = min_size(self.net)
        if image_size < need:
            raise ConfigError(
                f"{flag}: LPIPS-{self.net} needs images of at least {need} px (its pooling leaves no map "
                f"below that), these are {image_size} px; use VGG16 weights (16 px and up) or leave the flag out."
            )

    def __call__(self, x, y):
        """Per-image distances [N] between float images `x`, `y` [N, H, W, C] in [-1, 1] (C: 1 or 3)."""
        x, y = tf.cast(x, tf.float32), tf.cast(y, tf.float32)
        if x.shape[-1] == 1:  # a gray image is an RGB one with equal channels
            x, y = tf.tile(x, [1, 1, 1, 3]), tf.tile(y, [1, 1, 1, 3])
        fx, fy = self.features(x, training=False), self.features(y, training=False)
        total = 0.0
        for a, b, head in zip(fx, fy, self.heads, strict=True):
            a = a / (tf.sqrt(tf.reduce_sum(tf.square(a), axis=-1, keepdims=True)) + EPSILON)
            b = b / (tf.sqrt(tf.reduce_sum(tf.square(b), axis=-1, keepdims=True)) + EPSILON)
            total += tf.reduce_mean(tf.reduce_sum(tf.square(a - b) * head, axis=-1), axis=(1, 2))
        return total


def _net_of(state: dict, flag: str, path: str) -> str:
    first = state.get("net.slice1.0.weight")
    if first is not None and first.ndim == 4 and tuple(first.shape[1:]) == (3, 11, 11):
        return "alex"
    if first is not None and first.ndim == 4 and tuple(first.shape[1:]) == (3, 3, 3):
        return "vgg"
    raise WeightsError(
        f"{flag}={path}: not LPIPS weights of AlexNet or VGG16 (no net.slice1.0.weight of either's first "
        "convolution); write the file with `python -m tfgan.convert_weights --lpips=alex` (or vgg)."
    )


def from_state(state: dict[str, np.ndarray], flag: str = "--lpips_weights", path: str = "<state>") -> LPIPS:
    """The LPIPS of a converted ``lpips.LPIPS`` state dict (see the module docstring).

    Raises:
      WeightsError: A tensor is missing or of the wrong shape.
    """
    net = _net_of(state, flag, path)
    features = feature_network(net)
    reader = StateReader(state, f"LPIPS-{net}", flag, path)
    for k, stage in enumerate(NETS[net], start=1):
        for _, index, *_ in (op for op in stage if op[0] == "conv"):
            reader.conv(features.get_layer(f"slice{k}_{index}"), f"net.slice{k}.{index}", bias=True)
    widths = [stage[-1][2] for stage in NETS[net]]
    heads = [reader.take(f"lin{k}.model.1.weight", (1, c, 1, 1)).reshape(c) for k, c in enumerate(widths)]
    return LPIPS(net, features, heads)


def load_lpips(path: str, flag: str = "--lpips_weights") -> LPIPS:
    """The LPIPS of the ``.npz`` at `path` (``python -m tfgan.convert_weights --lpips=...``).

    Raises:
      WeightsError: The file is missing, unreadable or not LPIPS weights.
    """
    return from_state(read_state(path, "LPIPS", flag), flag, path)
