"""`python -m tfgan.sample`: a grid of images from an exported generator.

Uses only the SavedModel (its ``sample`` signature), so anyone holding an
export can look at it: no checkpoint, config or training code needed. A
class-conditional export draws the class given by ``--label``, or by default
every class, one grid row each (``--num`` images split evenly, the last row
holding the rest).
"""

from __future__ import annotations

import os

import numpy as np
from absl import flags

from tfgan import cli
from tfgan.errors import ConfigError, TfganError

FLAGS = flags.FLAGS
flags.DEFINE_string("export_dir", None, "An export version directory, or the base holding versions (latest used).")
flags.DEFINE_integer("num", 64, "Number of images.")
flags.DEFINE_integer("seed", 0, "First seed; image i uses seed + i.")
flags.DEFINE_string("out", "samples.png", "Output PNG grid.")
flags.DEFINE_string("npy", None, "Also save the uint8 images [num, H, W, C] to this .npy file.")
flags.DEFINE_integer(
    "label", None, "Conditional exports: the class of every image; default: every class, one grid row each."
)


def main(argv):
    if len(argv) > 1:
        raise ConfigError(f"unexpected arguments {argv[1:]}; flags take the form --name=value.")
    if not FLAGS.export_dir:
        raise ConfigError("--export_dir is required (e.g. runs/default/export/generator).")
    from tfgan.guards import sample_seeds

    seeds = sample_seeds(FLAGS.seed, FLAGS.num)  # every seed an int64, or a clear refusal
    if not os.path.isdir(FLAGS.export_dir):
        raise TfganError(f"--export_dir={FLAGS.export_dir} does not exist.")
    from tfgan import exporting
    from tfgan.fileio import atomic_write
    from tfgan.images import make_grid, write_png

    export_dir = exporting.latest_version(FLAGS.export_dir)
    classes = exporting.load_metadata(export_dir).get("num_classes")
    labels, rows = None, None
    if FLAGS.label is not None:
        labels = np.full(FLAGS.num, FLAGS.label, np.int32)
    elif classes:
        # Row r of the grid holds class r: images are laid out row-major.
        per_class = -(-FLAGS.num // classes)
        labels = (np.arange(FLAGS.num) // per_class).astype(np.int32)
        rows = -(-FLAGS.num // per_class)
    images = exporting.sample_images(export_dir, seeds, labels)  # in batches: memory stays bounded
    write_png(FLAGS.out, make_grid(images, rows=rows))
    print(f"{FLAGS.num} samples of {export_dir} -> {FLAGS.out}")
    if FLAGS.npy:
        import io

        buffer = io.BytesIO()
        np.save(buffer, images, allow_pickle=False)
        atomic_write(FLAGS.npy, buffer.getvalue())
        print(f"images {images.shape} {images.dtype} -> {FLAGS.npy}")


def run():
    """Console-script entry point (`tfgan-sample`)."""
    cli.start(main)


if __name__ == "__main__":
    run()
