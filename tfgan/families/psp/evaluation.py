"""Scoring an encoder export: how close is G(E(x)) to x, and does it keep what x shows?

Computed from the SavedModel alone (``serving_default``, the
reconstruction) on real held-out images (the ``test`` split of the
encoder's data, or ``--dataset``), always beside a code-free baseline:
**the mean training image** given as the reconstruction of every input,
which an encoder must beat.

- ``mse``: the mean squared pixel error, pixels in [0, 1] (pSp's L2 loss on
  that scale); ``l2``: the mean over images of the L2 distance
  ||G(E(x)) - x||_2 in the same units; ``psnr``: 10 log10(1 / mse).
- ``agreement`` (sources with several classes, e.g. MNIST): the share of
  reconstructions that a classifier trained on the real training images
  (the translation evaluation's small CNN,
  `tfgan.families.translation.evaluation.train_classifier`) puts in the
  class it puts the input in; ``accuracy``: the share it puts in the
  input's true class (the inputs' own accuracy is shown beside it).
- ``content`` (one-class silhouette sources, ``#class=``): the mean IoU of
  the input's and the reconstruction's silhouette masks
  (`tfgan.families.translation.evaluation.silhouette_mask`).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import tensorflow as tf

from pipelines import domains as domains_lib
from tfgan.errors import TfganError
from tfgan.families.translation.evaluation import mask_iou, silhouette_mask, train_classifier
from tfgan.run import exports


@dataclasses.dataclass(frozen=True)
class EvalOptions:
    """What `evaluate` computes.

    Attributes:
      export_dir: An encoder export version directory, or the base holding
        versions (the latest is used).
      dataset: The real images to reconstruct (default: the encoder's
        training data, recorded in metadata.json).
      data_dir: TFDS data directory.
      num_images: Test images at most.
      classifier_epochs: Epochs of the domain and class classifiers.
      seed: Seed of the classifiers.
    """

    export_dir: str
    dataset: str | None = None
    data_dir: str | None = None
    num_images: int = 1000
    classifier_epochs: int = 3
    seed: int = 0


def reconstruction_errors(images: np.ndarray, reconstructions: np.ndarray) -> dict:
    """``{"mse", "l2", "psnr"}`` of uint8 images [N, H, W, C] and their reconstructions, pixels in [0, 1]."""
    x = images.astype(np.float64) / 255.0
    y = reconstructions.astype(np.float64) / 255.0
    mse = float(np.mean((y - x) ** 2))
    l2 = float(np.mean(np.sqrt(np.sum((y - x) ** 2, axis=(1, 2, 3)))))
    return {"mse": mse, "l2": l2, "psnr": 10 * math.log10(1 / mse) if mse > 0 else float("inf")}


def _load(spec, split, meta, data_dir, limit):
    source = domains_lib.open_domain(
        spec, data_dir=data_dir, split=split, image_size=meta["image_size"], channels=meta["channels"]
    )
    ds = source.examples()
    if limit is not None:
        ds = ds.take(limit)
    batches = list(ds.batch(2048).as_numpy_iterator())
    if not batches:
        raise TfganError(f"{spec}: no {split} images to evaluate on.")
    return np.concatenate([b["image"] for b in batches]), np.concatenate([b["label"] for b in batches]), source


def reconstruct(signature, images, batch=256) -> np.ndarray:
    """uint8 reconstructions of uint8 `images` through an encoder export's ``serving_default``."""
    out = [signature(images=tf.constant(images[i : i + batch]))["images"].numpy() for i in range(0, len(images), batch)]
    return np.concatenate(out)


def _argmax(model, images):
    return np.argmax(model.predict(images.astype(np.float32), batch_size=256, verbose=0), axis=1)


def evaluate(options: EvalOptions | dict) -> dict:
    """Scores the encoder at ``options.export_dir``; see the module docstring.

    Returns:
      ``{"export_dir", "dataset", "images", "content": "classes" |
      "silhouette" | "none", "rows": {"reconstructed": {...}, "mean image":
      {...}}}`` (and ``"input"``: the real inputs' accuracy, for classes).

    Raises:
      TfganError: No encoder export there, or no images.
    """
    if isinstance(options, dict):
        options = EvalOptions(**options)
    export_dir, meta = exports.family_export(options.export_dir, "psp", "a pSp encoder export (<run>/export/encoder)")
    spec = options.dataset or meta["dataset"]
    train_x, train_y, _ = _load(spec, "train", meta, options.data_dir, 5000)
    images, labels, source = _load(spec, "test", meta, options.data_dir, options.num_images)
    model = tf.saved_model.load(export_dir)
    rows = {
        "reconstructed": reconstruct(model.signatures["serving_default"], images),
        "mean image": np.broadcast_to(np.round(train_x.mean(axis=0)).astype(np.uint8), images.shape),
    }
    results = {"export_dir": export_dir, "dataset": spec, "images": len(images), "rows": {}}
    num_classes = getattr(source.info, "num_classes", None) or 0
    if domains_lib.parse_domain_spec(spec)[1] is not None:
        kind = "silhouette"
    elif num_classes > 1 and len(np.unique(train_y)) > 1:
        kind = "classes"
    else:
        kind = "none"
    results["content"] = kind
    if kind == "classes":
        classifier, _ = train_classifier(
            train_x, train_y, num_classes, epochs=options.classifier_epochs, seed=options.seed
        )
        judged_input = _argmax(classifier, images)
        results["input"] = {"accuracy": float(np.mean(judged_input == labels))}
    for name, out in rows.items():
        r = reconstruction_errors(images, out)
        if kind == "classes":
            judged = _argmax(classifier, out)
            r["agreement"] = float(np.mean(judged == judged_input))
            r["accuracy"] = float(np.mean(judged == labels))
        elif kind == "silhouette":
            r["content"] = float(mask_iou(silhouette_mask(images), silhouette_mask(out)).mean())
        results["rows"][name] = r
    return results


def format_results(results: dict) -> str:
    """The results as a table: the reconstruction beside the mean-image baseline."""
    head = ["row", "images", "MSE", "L2", "PSNR dB"]
    if results["content"] == "classes":
        head += ["class agreement", "accuracy"]
    elif results["content"] == "silhouette":
        head += ["mask IoU"]
    lines = [f"{results['export_dir']} on {results['dataset']}", " | ".join(head), " | ".join("---" for _ in head)]
    for name, r in results["rows"].items():
        cells = [name, str(results["images"]), f"{r['mse']:.5f}", f"{r['l2']:.3f}", f"{r['psnr']:.2f}"]
        if results["content"] == "classes":
            cells += [f"{r['agreement']:.1%}", f"{r['accuracy']:.1%}"]
        elif results["content"] == "silhouette":
            cells += [f"{r['content']:.3f}"]
        lines.append(" | ".join(cells))
    if "input" in results:
        lines.append(f"(the real inputs' accuracy: {results['input']['accuracy']:.1%})")
    return "\n".join(lines)
