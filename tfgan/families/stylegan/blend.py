"""Resolution-dependent blending of two StyleGAN2 generators (Pinkney & Adler 2020, "Resolution Dependent GAN
Interpolation for Controllable Image Synthesis Between Domains").

`blend_networks(low, high, swap_resolution, width)` makes a generator whose
synthesis layers at resolutions below `swap_resolution` are `low`'s (A:
coarse structure, pose, shape) and at `swap_resolution` and above `high`'s
(B: texture, colour, style): "toonify" takes the base model for the
structure and the model fine-tuned from it for the style. ``width > 0``
blends smoothly instead of swapping: resolution r takes
``y(r) = 1 / (1 + exp(-(log2 r - log2 swap_resolution) / width))`` of B
and ``1 - y(r)`` of A in every weight of its layers (`blend_weights`;
``y = 1/2`` at the swap resolution itself), the formula of Justin
Pinkney's ``blend_models`` (github.com/justinpinkney/stylegan2,
``blend_models.py``), there counted in half-resolution steps, here in
resolutions. A resolution's layers are `synthesis.layers_by_resolution`'s:
its modulated convolutions with their affine maps, biases and noise
strengths, its ToRGB, and at 4 px the constant input.

The **mapping network and the mean w come from `low`**, as in Pinkney's
code, whose ``blend_models`` starts from ``model_1.clone()`` (the low
model) and overwrites only the synthesis layers it blends, and as in the
toonify blog: W (and truncation towards the mean w) stays A's space, so
an encoder of domain A's images (pSp), projections and edits made with A
drive the blended generator unchanged. (Fine-tuning barely moves the
mapping network anyway.)

The fixed noise images (non-trainable, drawn at initialisation) are not
weights to average: the lerp of two independent N(0, 1) images has less
than unit variance. Each resolution takes them whole from the model it
takes most from (B when ``y(r) >= 1/2``), so a hard swap's layers at and
above the swap resolution are exactly B's and a blend of A with itself
is exactly A. (Pinkney's ``clone`` keeps A's noise everywhere; its
noise is random per call unless ``randomize_noise=False``.)

`write_blend` loads both generators (`tfgan.families.stylegan.loading`: a
run directory's latest checkpoint, EMA networks when kept, or an export
base or version), blends them and
publishes an export like any StyleGAN2 export (`tfgan.run.exports.publish`:
staged and renamed, nothing half-written on failure) whose metadata also
holds ``blend: {low, high, swap_resolution, blend_width}``.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from tfgan.errors import ConfigError
from tfgan.families.stylegan import export, synthesis, trainer
from tfgan.families.stylegan.loading import Generator, load_generator
from tfgan.families.stylegan.params import StyleGANParams
from tfgan.run import exports

MIN_SWAP_RESOLUTION = 8
# What two generators must share for their synthesis layers to be blended.
SYNTHESIS_FIELDS = ("image_size", "channels", "w_dim", "channel_base", "channel_max")


@dataclasses.dataclass(frozen=True)
class BlendOptions:
    """What ``python -m tfgan.blend`` blends (its flags are generated from these fields).

    Attributes:
      low: Model A, for the resolutions below --swap_resolution, the mapping
        network and the mean w: a StyleGAN2 run directory (its latest
        checkpoint, the EMA generator when kept) or a generator export (base
        or version).
      high: Model B, for --swap_resolution and above: a run directory or an
        export, of A's network shape.
      swap_resolution: The first resolution taken from --high: a power of
        two from 8 to the image size.
      out: The export base the blended generator is published under (a new
        version DIR/<n>/).
      blend_width: 0: a hard swap; > 0: each resolution r takes
        1/(1+exp(-(log2 r - log2 swap_resolution)/blend_width)) of --high's
        weights, the rest of --low's.
    """

    low: str
    high: str
    swap_resolution: int
    out: str
    blend_width: float = 0.0

    def __post_init__(self):
        if not (self.blend_width >= 0 and math.isfinite(self.blend_width)):
            raise ConfigError(f"--blend_width={self.blend_width}: give 0 (a hard swap) or a positive width.")


def blend_weights(image_size: int, swap_resolution: int, width: float = 0.0) -> dict[int, float]:
    """Resolution -> the share of the high model in its layers' weights (0: all low, 1: all high).

    ``width == 0``: 0 below `swap_resolution`, 1 from it on; else the
    logistic ``1 / (1 + exp(-(log2 r - log2 swap_resolution) / width))``.
    """
    out = {}
    for r in synthesis.resolutions(image_size):
        if width:
            out[r] = 1.0 / (1.0 + math.exp(-(math.log2(r) - math.log2(swap_resolution)) / width))
        else:
            out[r] = 1.0 if r >= swap_resolution else 0.0
    return out


def valid_swap_resolutions(image_size: int) -> tuple[int, ...]:
    """The swap resolutions of an `image_size` network: 8, 16, ..., `image_size`."""
    return tuple(r for r in synthesis.resolutions(image_size) if r >= MIN_SWAP_RESOLUTION)


def check_swap_resolution(swap_resolution: int, image_size: int) -> None:
    """Raises: ConfigError: `swap_resolution` is not one of `valid_swap_resolutions` (listed)."""
    valid = valid_swap_resolutions(image_size)
    if swap_resolution not in valid:
        raise ConfigError(
            f"--swap_resolution={swap_resolution}: give a power of two from {MIN_SWAP_RESOLUTION} to the image size "
            f"{image_size}: one of {', '.join(map(str, valid))}."
        )


def check_compatible(low: StyleGANParams, high: StyleGANParams) -> None:
    """Raises: ConfigError: The synthesis networks differ in shape (each difference names both values)."""
    problems = [
        f"{f}: {getattr(low, f)!r} in --low, {getattr(high, f)!r} in --high"
        for f in SYNTHESIS_FIELDS
        if getattr(low, f) != getattr(high, f)
    ]
    if problems:
        raise ConfigError(
            "--low and --high have synthesis networks of different shapes (" + "; ".join(problems) + "); "
            "blend two models of one architecture, e.g. a model and one fine-tuned from it (--init_from)."
        )


def _blend_variable(out, low, high, y: float) -> None:
    if y in (0.0, 1.0) or not out.dtype.startswith("float") or "noise_const" in out.path:
        # Integer RNG states and the fixed noise images are taken whole (see the module docstring).
        out.assign(np.asarray(high if y >= 0.5 else low))
    else:
        out.assign((1.0 - y) * np.asarray(low) + y * np.asarray(high))


def blend_networks(low: Generator, high: Generator, swap_resolution: int, width: float = 0.0) -> Generator:
    """The blend of `low` (A) below `swap_resolution` and `high` (B) from it on; see the module docstring.

    New networks: neither input is changed. The mapping network and the mean
    w are copies of `low`'s.

    Raises:
      ConfigError: The two synthesis networks differ in shape, or
        `swap_resolution` is not a power of two from 8 to the image size.
    """
    check_compatible(low.params, high.params)
    size = low.params.image_size
    check_swap_resolution(swap_resolution, size)
    mapping, synthesis_net = trainer.build_generator(low.params)
    mapping.set_weights(low.mapping.get_weights())
    ys = blend_weights(size, swap_resolution, width)
    done = set()
    for r, names in synthesis.layers_by_resolution(size).items():
        for name in names:
            layers = [net.get_layer(name) for net in (synthesis_net, low.synthesis, high.synthesis)]
            for out_v, low_v, high_v in zip(*(layer.variables for layer in layers), strict=True):
                if not out_v.path == low_v.path == high_v.path:
                    raise AssertionError(f"variables out of order: {out_v.path}, {low_v.path}, {high_v.path}")
                _blend_variable(out_v, low_v, high_v, ys[r])
                done.add(id(out_v))
    missed = [v.path for v in synthesis_net.variables if id(v) not in done]
    if missed:  # a layer the layout does not name would silently keep its random initialisation
        raise AssertionError(f"synthesis variables outside layers_by_resolution: {missed}")
    w_avg = np.array(low.w_avg, np.float32)  # a copy: the blend shares no state with `low`
    return Generator(low.params, mapping, synthesis_net, w_avg, source=f"blend of {low.source} and {high.source}")


def write_blend(low: str, high: str, swap_resolution: int, out: str, blend_width: float = 0.0) -> str:
    """Blends the generators at `low` and `high` (paths, see `loading.load_generator`) and exports the result.

    Returns:
      The new export version directory under `out`.

    Raises:
      ConfigError: Bad paths, shapes or `swap_resolution` (before anything
        is written).
      TfganError: Unreadable weights, a non-finite blend, or `out` is itself
        an export version.
    """
    options = BlendOptions(low, high, swap_resolution, out, blend_width)  # validates blend_width
    if swap_resolution not in (2**k for k in range(3, 31)):  # before the slow loading
        raise ConfigError(
            f"--swap_resolution={swap_resolution}: give a power of two from {MIN_SWAP_RESOLUTION} to the image size "
            "(8, 16, 32, ...)."
        )
    a, b = load_generator(low, "--low"), load_generator(high, "--high")
    blended = blend_networks(a, b, swap_resolution, blend_width)
    record = {
        "low": a.source,
        "high": b.source,
        "swap_resolution": options.swap_resolution,
        "blend_width": float(options.blend_width),
    }

    def write(staging: str) -> dict:
        return trainer.write_export(
            None,  # made by no run: no preset
            blended.params,
            blended.mapping,
            blended.synthesis,
            blended.w_avg,
            None,
            staging,
            # The blend draws B's textures on A's shapes: its images are judged against B's data.
            dataset=b.params.dataset,
            blend=record,
        )

    return exports.publish(out, write, family=export.FAMILY)
