"""`python -m tfgan.sample` for image-GAN exports: a grid of images from the export alone.

Uses only the SavedModel (its ``sample`` signature), so anyone holding an
export can look at it: no checkpoint, config or training code needed. A
class-conditional export draws the class given by ``--label``, or by default
every class, one grid row each (``--num`` images split evenly, the last row
holding the rest).
"""

from __future__ import annotations

import dataclasses
import io

import numpy as np

from tfgan import guards
from tfgan.families.image import export, summaries
from tfgan.fileio import atomic_write
from tfgan.images import make_grid, write_png
from tfgan.run import exports


@dataclasses.dataclass(frozen=True)
class SampleOptions:
    """What to draw from an image-GAN export.

    Attributes:
      export_dir: An export version directory, or the base holding versions
        (latest used).
      num: Number of images.
      seed: First seed; image i uses seed + i.
      out: Output PNG grid.
      npy: Also save the uint8 images [num, H, W, C] to this .npy file.
      label: Conditional exports: the class of every image; default: every
        class, one grid row each.
    """

    export_dir: str
    num: int = 64
    seed: int = 0
    out: str = "samples.png"
    npy: str | None = None
    label: int | None = None

    def __post_init__(self):
        guards.sample_seeds(self.seed, self.num)  # every seed an int64, or a clear refusal


def sample(options: SampleOptions) -> str:
    """Writes the grid (and the .npy) of `options`; returns the lines to print."""
    export_dir = exports.latest_version(options.export_dir)
    classes = exports.load_metadata(export_dir).get("num_classes")
    labels, rows = None, None
    if options.label is not None:
        labels = np.full(options.num, options.label, np.int32)
    elif classes:
        # Row r of the grid holds class r: images are laid out row-major.
        per_class = -(-options.num // classes)
        labels = (np.arange(options.num) // per_class).astype(np.int32)
        rows = -(-options.num // per_class)
    # In batches: memory holds one batch's activations, whatever --num.
    images = export.sample_images(export_dir, guards.sample_seeds(options.seed, options.num), labels)
    write_png(options.out, make_grid(images, rows=rows, min_cell=summaries.MIN_CELL))
    lines = [f"{options.num} samples of {export_dir} -> {options.out}"]
    if options.npy:
        buffer = io.BytesIO()
        np.save(buffer, images, allow_pickle=False)
        atomic_write(options.npy, buffer.getvalue())
        lines.append(f"images {images.shape} {images.dtype} -> {options.npy}")
    return "\n".join(lines)
