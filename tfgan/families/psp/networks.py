"""pSp's encoder (Richardson et al. 2021, "Encoding in Style", sec. 3 and Fig. 2), sized for any W+ layout.

A feature-pyramid encoder on a ResNet backbone, as pSp's
``GradualStyleEncoder`` (eladrich/pixel2style2pixel,
``models/encoders/psp_encoders.py``):

- the backbone: ``backbone="ir_se50"`` is pSp's own, IR-SE50
  (`tfgan.families.psp.irse`, which can load ArcFace's pretrained weights
  as pSp does); ``backbone="small"``, the default for a CPU, is its
  narrower, shallower, SE-less sibling: an input 3x3 convolution, BN, PReLU; then four stages that each halve the
  resolution, made of pSp's "IR" residual blocks (BN, 3x3 conv, PReLU, 3x3
  conv of stride s, BN; shortcut: identity, subsampled, or a 1x1 conv of
  stride s with BN when the width changes). The last three stages' outputs
  are the fine (S/4), medium (S/8) and coarse (S/16) maps, as pSp's
  ``c1``, ``c2``, ``c3`` of a 256-px input (64, 32, 16 px);
- a top-down FPN: ``p2 = up(c3) + lateral(c2)``, ``p1 = up(p2) + lateral(c1)``
  (bilinear up-sampling to the lateral's size, 1x1 lateral convolutions),
  every merged map ``w_dim`` wide as in pSp (512 there);
- one ``map2style`` block per W+ row (pSp's ``GradualStyleBlock``):
  stride-2 3x3 convolutions with LeakyReLU (0.01, PyTorch's default) down to
  1x1, then an equalised dense layer to one ``w_dim`` row.

Which map feeds which row (`style_split`): pSp gives 18 rows 3 coarse /
4 middle / 11 fine, i.e. the rows of the 4-8 px layers from the coarsest
map, 16-32 px from the medium one, 64-1024 px from the finest. For any
``num_ws``: ``coarse = min(3, num_ws // 3)``, ``middle = min(4, num_ws -
coarse - 1)``, ``fine = the rest`` -- pSp's split wherever it leaves every
map a row (14 rows at 256 px: 3/4/7; 10 at 64 px: 3/4/3), and three
non-empty groups in the same order for small generators (8 rows at 32 px:
2/4/2; 6 at 16 px: 2/3/1).

The network predicts offsets from G's mean w; `tfgan.families.psp.model`
adds the mean (pSp's ``start_from_latent_avg``).
"""

from __future__ import annotations

import math

import keras

from tfgan.families.psp import irse
from tfgan.families.psp.params import BACKBONES
from tfgan.families.stylegan.networks import EqualDense

MIN_SIZE = 16
# PyTorch's nn.LeakyReLU default slope, which pSp's map2style blocks use.
MAP2STYLE_SLOPE = 0.01


def style_split(num_ws: int) -> tuple[int, int, int]:
    """``(coarse, middle, fine)`` rows of W+ read from the coarse, medium and fine maps (module docstring).

    Raises:
      ValueError: Fewer than 3 rows (every map must feed one).
    """
    if num_ws < 3:
        raise ValueError(f"an encoder needs at least 3 W+ rows (one per feature map), got {num_ws}")
    coarse = min(3, num_ws // 3)
    middle = min(4, num_ws - coarse - 1)
    return coarse, middle, num_ws - coarse - middle


def stage_widths(width: int, width_max: int) -> tuple[int, int, int, int]:
    """Feature maps of the four stages: width, 2 width, 4 width, 8 width, each at most `width_max` (IR-50: 64-512)."""
    return tuple(min(width * 2**k, width_max) for k in range(4))


def ir_block(x, depth: int, stride: int, name: str):
    """pSp's ``bottleneck_IR``: BN, conv3x3, PReLU, conv3x3 (stride), BN, plus the shortcut."""
    in_depth = int(x.shape[-1])
    if in_depth == depth:
        shortcut = keras.layers.MaxPooling2D(1, strides=stride, name=f"{name}_skip")(x) if stride > 1 else x
    else:
        shortcut = keras.layers.Conv2D(depth, 1, strides=stride, use_bias=False, name=f"{name}_skip_conv")(x)
        shortcut = keras.layers.BatchNormalization(name=f"{name}_skip_bn")(shortcut)
    y = keras.layers.BatchNormalization(name=f"{name}_bn0")(x)
    y = keras.layers.Conv2D(depth, 3, padding="same", use_bias=False, name=f"{name}_conv0")(y)
    y = keras.layers.PReLU(shared_axes=[1, 2], name=f"{name}_prelu")(y)
    y = keras.layers.Conv2D(depth, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv1")(y)
    y = keras.layers.BatchNormalization(name=f"{name}_bn1")(y)
    return keras.layers.Add(name=f"{name}_add")([y, shortcut])


def map2style(x, w_dim: int, name: str):
    """pSp's ``GradualStyleBlock``: stride-2 3x3 convs + LeakyReLU down to 1x1, then an equalised dense."""
    spatial = int(x.shape[1])
    for i in range(max(1, int(math.log2(spatial)))):  # a 1x1 map still gets pSp's one convolution
        x = keras.layers.Conv2D(w_dim, 3, strides=2, padding="same", name=f"{name}_conv{i}")(x)
        x = keras.layers.LeakyReLU(MAP2STYLE_SLOPE, name=f"{name}_lrelu{i}")(x)
    x = keras.layers.Flatten(name=f"{name}_flat")(x)
    return EqualDense(w_dim, name=f"{name}_dense")(x)


def _upsample_add(top, lateral, name: str):
    """pSp's ``_upsample_add``: `top` resized (bilinear) to `lateral`'s size, plus `lateral`."""
    size = (int(lateral.shape[1]), int(lateral.shape[2]))
    up = keras.layers.Resizing(*size, interpolation="bilinear", name=f"{name}_up")(top)
    return keras.layers.Add(name=f"{name}_add")([up, lateral])


def encoder_network(
    image_size: int,
    channels: int,
    *,
    num_ws: int,
    w_dim: int,
    width: int = 64,
    width_max: int = 512,
    blocks: int = 1,
    backbone: str = "small",
    name: str = "encoder",
) -> keras.Model:
    """The pSp encoder: images [N, S, S, channels] in [-1, 1] -> W+ offsets [N, num_ws, w_dim].

    Args:
      image_size: S, a power of two >= `MIN_SIZE` (the coarse map is S/16).
      channels: Input channels.
      num_ws, w_dim: The W+ layout of the generator it inverts.
      width, width_max: `stage_widths`' rule.
      blocks: IR blocks per stage (pSp's IR-50: 3, 4, 14, 3).
      backbone: "small" (`width`, `width_max` and `blocks` shape it) or
        "ir_se50" (pSp's: fixed 64-512 maps and 3, 4, 14, 3 units; the
        three arguments above do not apply).

    Raises:
      ValueError: A bad size or fewer than 3 W+ rows.
    """
    if image_size < MIN_SIZE or image_size & (image_size - 1):
        raise ValueError(f"the encoder takes images of a power-of-two side >= {MIN_SIZE}, got {image_size}")
    coarse, middle, fine = style_split(num_ws)
    if backbone not in BACKBONES:
        raise ValueError(f"unknown encoder backbone {backbone!r}; choose one of {', '.join(BACKBONES)}")
    images = keras.Input((image_size, image_size, channels), name="images")
    if backbone == "ir_se50":
        units = irse.body(irse.input_layer(images))
        c1, c2, c3 = (units[i] for i in irse.TAPS)
    else:
        x = keras.layers.Conv2D(width, 3, padding="same", use_bias=False, name="input_conv")(images)
        x = keras.layers.BatchNormalization(name="input_bn")(x)
        x = keras.layers.PReLU(shared_axes=[1, 2], name="input_prelu")(x)
        maps = []
        for stage, depth in enumerate(stage_widths(width, width_max)):
            for b in range(blocks):
                x = ir_block(x, depth, 2 if b == 0 else 1, name=f"stage{stage}_block{b}")
            maps.append(x)
        c1, c2, c3 = maps[1:]  # fine S/4, medium S/8, coarse S/16
    # The merged maps are w_dim wide (pSp: 512 = its coarsest stage's width, so
    # c3 needs no lateral there; here it does whenever the widths differ).
    if int(c3.shape[-1]) != w_dim:
        c3 = keras.layers.Conv2D(w_dim, 1, name="lateral3")(c3)
    p2 = _upsample_add(c3, keras.layers.Conv2D(w_dim, 1, name="lateral2")(c2), "fpn2")
    p1 = _upsample_add(p2, keras.layers.Conv2D(w_dim, 1, name="lateral1")(c1), "fpn1")
    sources = [c3] * coarse + [p2] * middle + [p1] * fine
    rows = [map2style(m, w_dim, name=f"style{i}") for i, m in enumerate(sources)]
    w_plus = keras.layers.Reshape((1, w_dim), name="row")  # [N, w_dim] -> [N, 1, w_dim]
    out = keras.layers.Concatenate(axis=1, name="w_plus")([w_plus(r) for r in rows])
    return keras.Model(images, out, name=name)
