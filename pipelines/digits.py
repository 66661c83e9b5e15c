"""The embedded default dataset: scikit-learn's bundled UCI digits."""

from __future__ import annotations

import numpy as np

from pipelines.arrays import ArraySource
from pipelines.base import PipelineError

# The 1,797 digits are split once, in file order, so evaluation has held-out
# images: the first 1,500 train, the last 297 test.
_TRAIN_EXAMPLES = 1500


def load_digits(*, split: str = "train", image_size=None, channels=None) -> ArraySource:
    """The UCI handwritten digits (8x8, grey levels 0..16, 10 classes).

    Shipped inside scikit-learn, so it needs no network. Grey levels are
    mapped 0..16 -> 0..255.

    Contract: ``{"image": uint8 [S, S, C] in 0..255, "label": int32 [] in
    0..9}`` with S = `image_size` or 8 and C = `channels` or 1; 1,500
    examples in the train split and 297 in the test split.
    """
    from sklearn.datasets import load_digits as sk_load_digits

    data = sk_load_digits()
    x = np.round(data.images / 16.0 * 255.0).astype(np.uint8)
    y = data.target.astype(np.int32)
    if split == "train":
        x, y = x[:_TRAIN_EXAMPLES], y[:_TRAIN_EXAMPLES]
    elif split == "test":
        x, y = x[_TRAIN_EXAMPLES:], y[_TRAIN_EXAMPLES:]
    else:
        raise PipelineError(f"digits: unknown split {split!r}; use 'train' or 'test'.")
    return ArraySource(x, y, image_size=image_size, channels=channels, name="digits", num_classes=10)
