"""StyleGAN2's synthesis network (Karras et al. 2020, Fig. 7b, config e/f's skip generator) and its layout.

W+ [N, num_ws, w_dim] -> image [N, S, S, C] (linear output; trained
against data in [-1, 1]). A learned constant 4x4 input; at 4x4 one
modulated 3x3 convolution, at every resolution from 8 up two (the first
up-sampling), each with per-pixel noise, bias and leaky ReLU; a ToRGB
(modulated 1x1 convolution, no demodulation) at every resolution, summed
with the up-sampled RGB of the resolution below (the "skip" generator).

Which W+ row styles which layer is explicit (`layout`), as in StyleGAN2's
code: the ToRGB of a resolution shares its row with the next
resolution's first convolution, so ``num_ws = 2 log2(S) - 2`` (18 at
1024 px, 14 at 256, 8 at 32). The layers of resolution r are named
``b{r}_*`` (`layers_by_resolution`), so a later blend of two models can
take one model's layers below a resolution and the other's above.
"""

from __future__ import annotations

import dataclasses
import math

import keras

from tfgan.families.stylegan import networks

MIN_SIZE = 16


def is_valid_size(image_size: int) -> bool:
    """Whether the synthesis network can make `image_size` images: a power of two, at least `MIN_SIZE`."""
    return image_size >= MIN_SIZE and image_size & (image_size - 1) == 0


def resolutions(image_size: int) -> tuple[int, ...]:
    """The resolutions of the network, 4, 8, ..., `image_size`."""
    return tuple(2**k for k in range(2, int(math.log2(image_size)) + 1))


def num_ws(image_size: int) -> int:
    """Rows of W+ the network reads: ``2 log2(image_size) - 2``."""
    return 2 * int(math.log2(image_size)) - 2


def channels_at(resolution: int, channel_base: int, channel_max: int) -> int:
    """Feature maps at `resolution`: ``min(channel_base // resolution, channel_max)``, at least 1 (StyleGAN2's rule)."""
    return max(1, min(channel_base // resolution, channel_max))


@dataclasses.dataclass(frozen=True)
class StyleLayer:
    """One modulated layer of the synthesis network.

    Attributes:
      name: The Keras layer's name (``b{resolution}_{conv|conv0|conv1|torgb}``).
      resolution: The side of its output.
      w_index: The W+ row that modulates it.
      kind: ``"conv"`` (modulated 3x3, demodulated) or ``"torgb"``.
    """

    name: str
    resolution: int
    w_index: int
    kind: str


def layout(image_size: int) -> tuple[StyleLayer, ...]:
    """Every modulated layer of the `image_size` network, in the order they run.

    At 4x4: ``b4_conv`` (row 0), ``b4_torgb`` (row 1). At r = 2^k, k >= 3,
    with ``i = 2k - 5``: ``b{r}_conv0`` (row i, up-sampling),
    ``b{r}_conv1`` (row i + 1), ``b{r}_torgb`` (row i + 2).
    """
    layers = [StyleLayer("b4_conv", 4, 0, "conv"), StyleLayer("b4_torgb", 4, 1, "torgb")]
    for res in resolutions(image_size)[1:]:
        i = 2 * int(math.log2(res)) - 5
        layers += [
            StyleLayer(f"b{res}_conv0", res, i, "conv"),
            StyleLayer(f"b{res}_conv1", res, i + 1, "conv"),
            StyleLayer(f"b{res}_torgb", res, i + 2, "torgb"),
        ]
    return tuple(layers)


def ws_by_resolution(image_size: int) -> dict[int, tuple[int, ...]]:
    """Resolution -> the W+ rows its layers read (4: (0, 1); 8: (1, 2, 3); 16: (3, 4, 5); ...)."""
    out: dict[int, tuple[int, ...]] = {}
    for layer in layout(image_size):
        out[layer.resolution] = (*out.get(layer.resolution, ()), layer.w_index)
    return out


def layers_by_resolution(image_size: int) -> dict[int, tuple[str, ...]]:
    """Resolution -> the names of the synthesis layers holding its weights (4 includes ``b4_const``)."""
    out: dict[int, tuple[str, ...]] = {4: ("b4_const",)}
    for layer in layout(image_size):
        out[layer.resolution] = (*out.get(layer.resolution, ()), layer.name)
    return out


def layer_map(image_size: int) -> dict[str, dict]:
    """The layout as JSON for metadata.json: ``{"8": {"ws": [1, 2, 3], "layers": ["b8_conv0", ...]}, ...}``."""
    ws, names = ws_by_resolution(image_size), layers_by_resolution(image_size)
    return {str(r): {"ws": list(ws[r]), "layers": list(names[r])} for r in resolutions(image_size)}


def synthesis_network(image_size, channels, *, w_dim, channel_base, channel_max, name="synthesis") -> keras.Model:
    """The synthesis network: W+ [N, num_ws(image_size), w_dim] -> images [N, S, S, channels].

    Args:
      image_size: S, a power of two >= `MIN_SIZE`.
      channels: Image channels (1 or 3).
      w_dim: Width of a W+ row.
      channel_base, channel_max: `channels_at`'s feature-map rule.

    Raises:
      ValueError: `image_size` is not a power of two >= `MIN_SIZE`.
    """
    if not is_valid_size(image_size):
        raise ValueError(f"image_size must be a power of two >= {MIN_SIZE}, got {image_size}")
    w_plus = keras.Input((num_ws(image_size), w_dim), name="w_plus")
    ch = {r: channels_at(r, channel_base, channel_max) for r in resolutions(image_size)}
    x = networks.ConstantInput(ch[4], name="b4_const")(w_plus)
    rgb = None
    for layer in layout(image_size):
        r = layer.resolution
        if layer.kind == "torgb":
            out = networks.ToRGB(channels, w_index=layer.w_index, name=layer.name)(x, w_plus)
            rgb = (
                out
                if rgb is None
                else keras.layers.Add(name=f"b{r}_rgb")([networks.Upsample2D(name=f"b{r}_up")(rgb), out])
            )
        else:
            up = layer.name.endswith("conv0")
            x = networks.StyledConv(ch[r], w_index=layer.w_index, resolution=r, up=up, name=layer.name)(x, w_plus)
    return keras.Model(w_plus, rgb, name=name)
