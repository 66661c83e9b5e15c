"""A folder of image files as an image source."""

from __future__ import annotations

import os
import re
import warnings

import tensorflow as tf
from absl import logging
from PIL import Image, UnidentifiedImageError

from pipelines.base import ImageSource, PipelineError, SourceInfo, to_uint8_image

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp")
# The most pixels (width x height) an image may have to be decoded: 8192 x 8192.
# Decoding costs several bytes per pixel and channel at once (a 20000 x 20000
# PNG of 380 KB took 7.8 GB), so a larger file is refused from its header
# before any decoding; --max_image_pixels raises the limit.
MAX_IMAGE_PIXELS = 8192 * 8192


def image_header_pixels(path: str) -> tuple[int, int | None] | None:
    """``(pixels, width)`` from an image file's header, without decoding it; None if unreadable.

    Pillow reads only the header when it opens a file. Above twice its own
    bomb limit it refuses even that, naming the pixel count (then the width
    is None).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                return image.size[0] * image.size[1], image.size[0]
    except Image.DecompressionBombError as e:
        match = re.search(r"\((\d+) pixels\)", str(e))
        return (int(match.group(1)), None) if match else None
    except (OSError, UnidentifiedImageError, ValueError):
        return None


def _find_images(root: str) -> list[str]:
    paths = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        paths.extend(os.path.join(dirpath, f) for f in sorted(filenames) if f.lower().endswith(IMAGE_EXTENSIONS))
    return paths


def _decode(path) -> tf.Tensor:
    return tf.io.decode_image(tf.io.read_file(path), channels=0, expand_animations=False)


class FolderSource(ImageSource):
    """PNG/JPEG/GIF/BMP files found recursively under a folder.

    Every file is decoded once when the source is opened: unreadable,
    truncated or corrupt files are skipped and counted in the log (the run
    goes on with the rest). Images of mixed sizes and channel counts are
    converted: centre-cropped to a square, resized with antialiasing, alpha
    dropped, grey tiled to RGB or RGB reduced to grey. GIFs give their first
    frame. If every image sits in a subfolder, the sorted subfolder names are
    the classes and the label is the subfolder's index; otherwise labels are 0.

    Contract: ``{"image": uint8 [S, S, C] in 0..255, "label": int32 []}``
    in sorted path order. S = `image_size`, or the images' common side when
    all are square and of one size; C = `channels`, or 1 if every image is
    grey and 3 otherwise.

    Attributes:
      skipped: Paths that could not be decoded.

    Args:
      root: The folder.
      image_size: Output side; None keeps the images' own (all square, one size).
      channels: 1 or 3; None: 1 if every image is grey, else 3.
      max_image_pixels: The largest width x height decoded; a larger image
        (read from its header, before decoding) is refused.

    Raises:
      PipelineError: No folder, no decodable image, mixed sizes without
        `image_size`, or an image over `max_image_pixels`.
    """

    def __init__(self, root: str, *, image_size=None, channels=None, max_image_pixels=None):
        spec = f"folder:{root}"
        if not os.path.isdir(root):
            what = "is a file, not a folder" if os.path.exists(root) else "does not exist"
            raise PipelineError(f"{spec}: the path {what}. Pass --dataset=folder:/path/to/images.")
        paths = _find_images(root)
        if not paths:
            raise PipelineError(f"{spec}: no image files ({', '.join(IMAGE_EXTENSIONS)}) found under it, recursively.")
        limit = max_image_pixels or MAX_IMAGE_PIXELS
        good, shapes, self.skipped = [], set(), []
        for path in paths:
            header = image_header_pixels(path)
            if header is not None and header[0] > limit:
                pixels, width = header
                size = f"{width}x{pixels // width}" if width else f"{pixels:,}"
                raise PipelineError(
                    f"{spec}: {path} is {size} pixels, more than the limit of {limit:,} (decoding it would need "
                    f"about {pixels * 16 / 2**30:.1f} GB of memory). Shrink or remove it, or pass "
                    f"--max_image_pixels={pixels} to decode it anyway."
                )
            try:
                shape = tuple(_decode(path).shape)
            except (tf.errors.InvalidArgumentError, tf.errors.OpError):
                self.skipped.append(path)
                continue
            if shape[0] == 0 or shape[1] == 0:
                self.skipped.append(path)
                continue
            good.append(path)
            shapes.add(shape)
        if self.skipped:
            logging.warning(
                "%s: skipped %d unreadable or corrupt image file(s) of %d, e.g. %s",
                spec,
                len(self.skipped),
                len(paths),
                self.skipped[0],
            )
        if not good:
            raise PipelineError(
                f"{spec}: none of its {len(paths)} image files could be decoded "
                f"(e.g. {self.skipped[0]}); they are corrupt or not images."
            )
        if image_size is None:
            sides = {(h, w) for h, w, _ in shapes}
            if len(sides) != 1 or next(iter(sides))[0] != next(iter(sides))[1]:
                raise PipelineError(
                    f"{spec}: images have sizes {sorted(sides)[:5]}; pass --image_size=N to "
                    f"centre-crop and resize them all to NxN."
                )
            image_size = next(iter(sides))[0]
        if channels is None:
            channels = 1 if all(c <= 2 for _, _, c in shapes) else 3
        rel = [os.path.relpath(p, root) for p in good]
        in_subdirs = all(os.sep in r for r in rel)
        if in_subdirs:
            classes = sorted({r.split(os.sep)[0] for r in rel})
            index = {name: i for i, name in enumerate(classes)}
            labels = [index[r.split(os.sep)[0]] for r in rel]
        else:
            classes, labels = None, [0] * len(good)
        self.class_names = classes
        self._paths, self._labels = good, labels
        self.info = SourceInfo(spec, (image_size, image_size, channels), len(good), len(classes) if classes else None)

    def examples(self) -> tf.data.Dataset:
        s, _, c = self.info.image_shape
        ds = tf.data.Dataset.from_tensor_slices({"path": self._paths, "label": tf.constant(self._labels, tf.int32)})

        def load(element):
            image = to_uint8_image(_decode(element["path"]), s, c)
            image.set_shape([s, s, c])
            return {"image": image, "label": element["label"]}

        return ds.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
