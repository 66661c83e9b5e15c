"""`python -m tfgan.sample` for StyleGAN2 exports: a grid of images, from the export alone."""

from __future__ import annotations

import dataclasses
import io

import numpy as np

from tfgan import guards
from tfgan.errors import ConfigError
from tfgan.families.image.summaries import MIN_CELL
from tfgan.families.stylegan import export
from tfgan.fileio import atomic_write
from tfgan.images import make_grid, write_png
from tfgan.run import exports


@dataclasses.dataclass(frozen=True)
class SampleOptions:
    """What to draw from a StyleGAN2 export.

    Attributes:
      export_dir: An export version directory, or the base holding versions
        (latest used).
      num: Number of images.
      seed: First seed; image i uses seed + i.
      out: Output PNG grid.
      npy: Also save the uint8 images [num, H, W, C] to this .npy file.
      truncation: StyleGAN2 exports: psi of the truncation trick, w moved
        towards the mean w (1: none; 0.5-0.7 trades variety for quality).
    """

    export_dir: str
    num: int = 64
    seed: int = 0
    out: str = "samples.png"
    npy: str | None = None
    truncation: float = 1.0

    def __post_init__(self):
        guards.sample_seeds(self.seed, self.num)
        if not 0 <= self.truncation <= 1:
            raise ConfigError(f"--truncation is psi in [0, 1] (1: none), got {self.truncation}")


def sample(options: SampleOptions) -> str:
    """Writes the grid (and the .npy) of `options`; returns the lines to print."""
    export_dir = exports.latest_version(options.export_dir)
    images = export.sample_images(export_dir, guards.sample_seeds(options.seed, options.num), options.truncation)
    write_png(options.out, make_grid(images, min_cell=MIN_CELL))
    lines = [f"{options.num} samples of {export_dir} (truncation {options.truncation}) -> {options.out}"]
    if options.npy:
        buffer = io.BytesIO()
        np.save(buffer, images, allow_pickle=False)
        atomic_write(options.npy, buffer.getvalue())
        lines.append(f"images {images.shape} {images.dtype} -> {options.npy}")
    return "\n".join(lines)
