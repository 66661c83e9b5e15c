"""`python -m tfgan.translate`: run an exported translator on a picture or a folder of pictures.

    python -m tfgan.translate --export_dir=runs/digits2mnist/export/translator \\
        --direction=a_to_b --input=photos/ --output=translated/ --grid=before_after.png

Uses only the SavedModel (its ``a_to_b`` / ``b_to_a`` signature, see
`tfgan.families.translation.export`): no checkpoint, config or training
code. Every image file under ``--input`` (recursively) is translated at its
own size and channel count and written as PNG under ``--output`` with the
same relative path; ``--grid`` writes the inputs (top row) above their
translations (bottom row). Files that cannot be decoded are skipped and
listed.
"""

from __future__ import annotations

import os

import numpy as np
from absl import flags

from tfgan import cli  # first: it quiets TensorFlow's start-up logging
from tfgan.errors import ConfigError, TfganError
from tfgan.run import exports

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp")
DIRECTIONS = ("a_to_b", "b_to_a")
GRID_CELL = 64  # side of each grid cell, pixels
GRID_MAX = 16  # images shown in the grid

FLAGS = flags.FLAGS
flags.DEFINE_string("export_dir", None, "A translator export version directory, or the base holding versions.")
flags.DEFINE_string("direction", "a_to_b", "a_to_b | b_to_a.")
flags.DEFINE_string("input", None, "An image file, or a folder searched recursively for images.")
flags.DEFINE_string("output", None, "Folder for the translated PNGs (created).")
flags.DEFINE_string("grid", None, "Also write a PNG of inputs above their translations (first 16).")


def find_inputs(path: str) -> list[tuple[str, str]]:
    """``[(file, relative output name)]`` of the image files at `path` (a file or a folder)."""
    if os.path.isfile(path):
        return [(path, os.path.splitext(os.path.basename(path))[0] + ".png")]
    if not os.path.isdir(path):
        raise TfganError(f"--input={path} does not exist; give an image file or a folder of images.")
    found = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            if name.lower().endswith(IMAGE_EXTENSIONS):
                full = os.path.join(root, name)
                found.append((full, os.path.splitext(os.path.relpath(full, path))[0] + ".png"))
    if not found:
        raise TfganError(f"--input={path}: no image files ({', '.join(IMAGE_EXTENSIONS)}) in it.")
    return found


def resolve_export(export_dir: str) -> tuple[str, dict]:
    """The version directory of `export_dir` (the latest under a base) and its metadata.

    Raises:
      TfganError: No translator export there.
    """
    if not os.path.isdir(export_dir):
        raise TfganError(f"--export_dir={export_dir} does not exist.")
    export_dir = exports.latest_version(export_dir)
    meta = exports.load_metadata(export_dir)
    if "directions" not in meta:
        raise TfganError(
            f"{export_dir} is not a translator export (family {meta['family']!r}); "
            f"use python -m tfgan.sample for generators."
        )
    return export_dir, meta


def _grid(pairs) -> np.ndarray:
    """uint8 [2 x cell, n x cell, 3]: inputs above outputs, each fitted into a grey cell."""
    import tensorflow as tf

    cols = []
    for before, after in pairs:
        column = []
        for image in (before, after):
            rgb = np.repeat(image[..., :1], 3, -1) if image.shape[-1] < 3 else image[..., :3]
            fitted = tf.image.resize_with_pad(rgb.astype(np.float32), GRID_CELL, GRID_CELL, method="nearest")
            column.append(fitted.numpy().astype(np.uint8))
        cols.append(np.concatenate(column, axis=0))
    return np.concatenate(cols, axis=1)


def translate_files(export_dir, direction, inputs, output, grid=None, progress=True) -> dict:
    """Translates `inputs` (from `find_inputs`) into `output`; returns counts and skipped files.

    Raises:
      TfganError: The export lacks `direction`.
    """
    import tensorflow as tf

    from tfgan.fileio import atomic_write

    model = tf.saved_model.load(export_dir)
    if direction not in model.signatures:
        have = [d for d in DIRECTIONS if d in model.signatures]
        raise TfganError(f"{export_dir} has no {direction} signature; it translates: {', '.join(have) or 'nothing'}.")
    signature = model.signatures[direction]
    bar = None
    if progress:
        import keras

        bar = keras.utils.Progbar(len(inputs), unit_name="image")
    skipped, pairs = [], []
    for i, (path, name) in enumerate(inputs):
        try:
            image = tf.io.decode_image(tf.io.read_file(path), channels=0, expand_animations=False).numpy()
            if image.shape[0] == 0 or image.shape[1] == 0:
                raise ValueError("0x0 image")
        except (tf.errors.OpError, ValueError):
            skipped.append(path)
            continue
        out = signature(images=tf.constant(image[None]))["images"].numpy()[0]
        atomic_write(os.path.join(output, name), tf.io.encode_png(out).numpy())
        if len(pairs) < GRID_MAX:
            pairs.append((image, out))
        if bar is not None:
            bar.update(i + 1)
    if grid and pairs:
        atomic_write(grid, tf.io.encode_png(_grid(pairs)).numpy())
    return {"translated": len(inputs) - len(skipped), "skipped": skipped}


def main(argv):
    cli.no_arguments(argv)
    if FLAGS.direction not in DIRECTIONS:
        raise ConfigError(f"--direction={FLAGS.direction!r} is unknown; choose a_to_b or b_to_a.")
    for name in ("export_dir", "input", "output"):
        if not FLAGS[name].value:
            raise ConfigError(f"--{name} is required.")
    export_dir, meta = resolve_export(FLAGS.export_dir)
    inputs = find_inputs(FLAGS.input)
    result = translate_files(export_dir, FLAGS.direction, inputs, FLAGS.output, FLAGS.grid)
    domains = meta.get("domains", {})
    src, dst = ("a", "b") if FLAGS.direction == "a_to_b" else ("b", "a")
    print(
        f"{result['translated']} image(s) {domains.get(src, src.upper())} -> {domains.get(dst, dst.upper())} "
        f"with {export_dir} -> {FLAGS.output}"
    )
    if FLAGS.grid and result["translated"]:
        print(f"before/after grid -> {FLAGS.grid}")
    if result["skipped"]:
        print(f"skipped {len(result['skipped'])} undecodable file(s), e.g. {result['skipped'][0]}")


def run():
    """Console-script entry point (`tfgan-translate`)."""
    cli.start(main)


if __name__ == "__main__":
    run()
