"""pSp's IR-SE50 (the ArcFace ResNet of TreB1eN's InsightFace_Pytorch), layer for layer, for a user's pretrained weights.

pSp uses it twice (eladrich/pixel2style2pixel, ``models/encoders/helpers.py``,
``model_irse.py``): as the backbone of its encoder, initialised from
ArcFace's ``model_ir_se50.pth``, and whole, as the face-identity network of
its ID loss (``criteria/id_loss.py``). The network:

- ``input_layer``: 3x3 conv (64, no bias), BN, PReLU;
- ``body``: 24 ``bottleneck_IR_SE`` units in four stages of 3, 4, 14 and 3
  (64, 128, 256, 512 maps; each stage's first unit has stride 2). A unit is
  BN, 3x3 conv, PReLU, 3x3 conv (stride), BN, squeeze-excitation (average
  pool, 1x1 conv to C/16, ReLU, 1x1 conv to C, sigmoid, times the input),
  plus a shortcut (1x1-max-pool subsampling, or a 1x1 conv of that stride
  with BN where the width changes);
- ``output_layer`` (ArcFace only, 112-px input): BN, dropout, flatten,
  linear 25,088 -> 512, BN; then the L2-normalised embedding.

The Keras layers are named after their PyTorch modules' roles (`load_*`
maps the keys). Convolutions pad explicitly as PyTorch does (TF's "same"
pads a stride-2 layer asymmetrically), BN uses PyTorch's epsilon, and the
flatten takes PyTorch's channel-first order, so a converted state dict gives
the original's features.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tfgan.torchweights import TORCH_BN_EPSILON, StateReader, read_state

# (depth, units) of IR-SE50's four stages.
STAGES = ((64, 3), (128, 4), (256, 14), (512, 3))
SE_REDUCTION = 16
ARCFACE_SIZE = 112
EMBEDDING = 512
# pSp's ID loss crops [35:223, 32:220] of its 256-px faces (the face without
# hair and background) before pooling to 112: the same share of any size.
FACE_CROP = (35 / 256, 223 / 256, 32 / 256, 220 / 256)
# Body units whose outputs pSp's GradualStyleEncoder reads: c1 (stage 2's
# end, S/4), c2 (stage 3's end, S/8), c3 (stage 4's end, S/16).
TAPS = (6, 20, 23)


def _bn(x, name: str):
    return keras.layers.BatchNormalization(epsilon=TORCH_BN_EPSILON, momentum=0.9, name=name)(x)


def _conv(x, filters: int, kernel: int, stride: int, pad: int, name: str, bias: bool = False):
    if pad:
        x = keras.layers.ZeroPadding2D(pad, name=f"{name}_pad")(x)
    return keras.layers.Conv2D(filters, kernel, strides=stride, use_bias=bias, name=name)(x)


def input_layer(x):
    """``input_layer``: conv 3x3 (64), BN, PReLU."""
    x = _conv(x, 64, 3, 1, 1, "input_conv")
    x = _bn(x, "input_bn")
    return keras.layers.PReLU(shared_axes=[1, 2], name="input_prelu")(x)


def se_unit(x, depth: int, stride: int, name: str):
    """One ``bottleneck_IR_SE`` (module docstring); `name` is ``body{i}`` for ``body.{i}``."""
    if int(x.shape[-1]) == depth:
        shortcut = keras.layers.MaxPooling2D(1, strides=stride, name=f"{name}_skip")(x) if stride > 1 else x
    else:
        shortcut = _conv(x, depth, 1, stride, 0, f"{name}_skip_conv")
        shortcut = _bn(shortcut, f"{name}_skip_bn")
    y = _bn(x, f"{name}_bn0")
    y = _conv(y, depth, 3, 1, 1, f"{name}_conv0")
    y = keras.layers.PReLU(shared_axes=[1, 2], name=f"{name}_prelu")(y)
    y = _conv(y, depth, 3, stride, 1, f"{name}_conv1")
    y = _bn(y, f"{name}_bn1")
    s = keras.layers.GlobalAveragePooling2D(keepdims=True, name=f"{name}_se_pool")(y)
    s = keras.layers.Conv2D(depth // SE_REDUCTION, 1, use_bias=False, name=f"{name}_se_fc1")(s)
    s = keras.layers.ReLU(name=f"{name}_se_relu")(s)
    s = keras.layers.Conv2D(depth, 1, use_bias=False, activation="sigmoid", name=f"{name}_se_fc2")(s)
    y = keras.layers.Multiply(name=f"{name}_se")([y, s])
    return keras.layers.Add(name=f"{name}_add")([y, shortcut])


def body(x) -> list:
    """``body``: the 24 units; returns every unit's output (``outputs[i]`` is ``body.{i}``'s)."""
    outputs = []
    for depth, units in STAGES:
        for u in range(units):
            x = se_unit(x, depth, 2 if u == 0 else 1, name=f"body{len(outputs)}")
            outputs.append(x)
    return outputs


def num_units() -> int:
    return sum(units for _, units in STAGES)


def arcface_network(name: str = "arcface") -> keras.Model:
    """The whole IR-SE50 of pSp's ID loss: RGB [N, 112, 112, 3] in [-1, 1] -> unit embeddings [N, 512]."""
    images = keras.Input((ARCFACE_SIZE, ARCFACE_SIZE, 3), name="faces")
    x = body(input_layer(images))[-1]
    x = _bn(x, "output_bn2d")
    x = keras.layers.Permute((3, 1, 2), name="output_chw")(x)  # PyTorch's flatten order
    x = keras.layers.Flatten(name="output_flatten")(x)
    x = keras.layers.Dense(EMBEDDING, name="output_dense")(x)
    x = _bn(x, "output_bn1d")
    x = keras.layers.UnitNormalization(name="embedding")(x)
    model = keras.Model(images, x, name=name)
    model.trainable = False
    return model


def _load_input_and_body(model: keras.Model, reader: StateReader) -> None:
    first = model.get_layer("input_conv")
    reader.conv(first, "input_layer.0", bias=False, sum_inputs=int(first.kernel.shape[2]) == 1)
    reader.batch_norm(model.get_layer("input_bn"), "input_layer.1")
    reader.prelu(model.get_layer("input_prelu"), "input_layer.2")
    names = {layer.name for layer in model.layers}
    for i in range(num_units()):
        key, name = f"body.{i}", f"body{i}"
        if f"{name}_skip_conv" in names:
            reader.conv(model.get_layer(f"{name}_skip_conv"), f"{key}.shortcut_layer.0", bias=False)
            reader.batch_norm(model.get_layer(f"{name}_skip_bn"), f"{key}.shortcut_layer.1")
        reader.batch_norm(model.get_layer(f"{name}_bn0"), f"{key}.res_layer.0")
        reader.conv(model.get_layer(f"{name}_conv0"), f"{key}.res_layer.1", bias=False)
        reader.prelu(model.get_layer(f"{name}_prelu"), f"{key}.res_layer.2")
        reader.conv(model.get_layer(f"{name}_conv1"), f"{key}.res_layer.3", bias=False)
        reader.batch_norm(model.get_layer(f"{name}_bn1"), f"{key}.res_layer.4")
        reader.conv(model.get_layer(f"{name}_se_fc1"), f"{key}.res_layer.5.fc1", bias=False)
        reader.conv(model.get_layer(f"{name}_se_fc2"), f"{key}.res_layer.5.fc2", bias=False)


def _state(state_or_path, flag: str):
    if isinstance(state_or_path, str):
        return read_state(state_or_path, "ArcFace IR-SE50", flag), state_or_path
    return state_or_path, "<state>"


def load_backbone(model: keras.Model, state_or_path, flag: str = "--backbone_weights") -> None:
    """Copies IR-SE50's ``input_layer`` and ``body`` into an encoder built with `input_layer` and `body`.

    As pSp, which initialises its encoder from ArcFace's weights with
    ``strict=False``: the ``output_layer`` is not used. A one-channel encoder
    gets the first convolution summed over R, G and B (exact for gray input;
    pSp instead leaves that layer random whenever ``input_nc != 3``).

    Args:
      state_or_path: A converted ``model_ir_se50.pth`` (.npz path) or its state dict.

    Raises:
      WeightsError: The file is missing, unreadable or not IR-SE50.
    """
    state, path = _state(state_or_path, flag)
    _load_input_and_body(model, StateReader(state, "ArcFace IR-SE50", flag, path))


class ArcFace:
    """pSp's face-identity features: crop, pool to 112 px, IR-SE50, unit embedding.

    Args:
      network: `arcface_network()` with its weights.
    """

    def __init__(self, network: keras.Model):
        self.network = network

    def __call__(self, images):
        """Embeddings [N, 512] of float images [N, H, W, C] in [-1, 1] (C: 1 or 3), as pSp's ``extract_feats``."""
        images = tf.cast(images, tf.float32)
        size = int(images.shape[1])
        top, bottom, left, right = (int(round(f * size)) for f in FACE_CROP)
        faces = images[:, top:bottom, left:right, :]
        if faces.shape[-1] == 1:
            faces = tf.tile(faces, [1, 1, 1, 3])
        rows = tf.constant(adaptive_pool_matrix(bottom - top, ARCFACE_SIZE))
        cols = tf.constant(adaptive_pool_matrix(right - left, ARCFACE_SIZE))
        faces = tf.einsum("ih,nhwc,jw->nijc", rows, faces, cols)
        return self.network(faces, training=False)


def adaptive_pool_matrix(n_in: int, n_out: int) -> np.ndarray:
    """[n_out, n_in]: PyTorch's ``AdaptiveAvgPool1d`` as a matrix (pSp pools its face crop to 112 px so).

    Output i averages inputs ``floor(i n_in / n_out)`` to ``ceil((i + 1)
    n_in / n_out)`` (exclusive). TF has no such op, and its "area" resize,
    the nearest, has no gradient; a matrix on each axis is exact and
    differentiable.
    """
    m = np.zeros((n_out, n_in), np.float32)
    for i in range(n_out):
        start, end = (i * n_in) // n_out, -(-((i + 1) * n_in) // n_out)
        m[i, start:end] = 1.0 / (end - start)
    return m


def arcface_from_state(state_or_path, flag: str = "--id_weights") -> ArcFace:
    """The ArcFace of a converted ``model_ir_se50.pth`` (all of it, ``output_layer`` included).

    Raises:
      WeightsError: The file is missing, unreadable, not IR-SE50, or lacks the output layer.
    """
    state, path = _state(state_or_path, flag)
    network = arcface_network()
    reader = StateReader(state, "ArcFace IR-SE50", flag, path)
    _load_input_and_body(network, reader)
    reader.batch_norm(network.get_layer("output_bn2d"), "output_layer.0")
    reader.dense(network.get_layer("output_dense"), "output_layer.3")
    reader.batch_norm(network.get_layer("output_bn1d"), "output_layer.4")
    return ArcFace(network)
