"""Scoring a translator export: is the output of the target domain, and is the content kept?

Everything is computed from the SavedModel (``a_to_b`` / ``b_to_a``) and
real held-out images of both domains (their ``test`` split), for each
direction X -> Y, always beside the **untouched input** (the images of X
not translated at all): the baseline a filter must beat.

- ``realism``: the share of outputs that a domain classifier (a small CNN
  trained here on real X vs real Y training images) judges to be of Y.
- ``fid``: the Fréchet distance between the outputs and real Y test images
  in that classifier's penultimate features (a "classifier FID": lower is
  closer to Y; not comparable with Inception FIDs).
- ``content``: for labelled domains with the same classes (e.g. UCI digits
  and MNIST), the share of outputs whose class a classifier trained on Y
  reads as the input's class (and, in eval.json, ``confusion``: which
  class each input class is read as); for one-class silhouette domains (a
  ``#class=`` restriction, e.g. horses and zebras), the mean IoU of the
  input's and the output's silhouette masks (`silhouette_mask`).
- ``cycle_l1``: mean |X -> Y -> X - x| in [0, 1] pixel units; ``identity_l1``:
  mean |Y -> Y' - y| when the X -> Y filter is applied to real Y images.
  (The untouched input scores 0 on both: they show how much the filter
  changes, not a target.)

A third row, the **real target images** (Y's test images), is the ceiling:
the domain classifier's realism on real Y, the classifier FID of Y's
training against its test images, and the class classifier's accuracy on
real Y (a translation cannot be read as its class more often than a real
image is).
"""

from __future__ import annotations

import dataclasses
import os

import keras
import numpy as np
import tensorflow as tf
from scipy import ndimage

from pipelines import domains as domains_lib
from tfgan import metrics
from tfgan.errors import TfganError
from tfgan.run import exports

OTHER = {"a": "b", "b": "a"}


@dataclasses.dataclass(frozen=True)
class EvalOptions:
    """What `evaluate` computes.

    Attributes:
      export_dir: A translator export version directory, or the base
        holding versions (the latest is used).
      domain_a, domain_b: Override the export's domain specs (e.g. another
        test set); default: those recorded in metadata.json.
      data_dir: TFDS data directory.
      num_images: Test images per domain at most.
      classifier_epochs: Epochs of the domain and class classifiers.
      content: ``auto`` | ``classes`` | ``silhouette`` | ``none``.
      seed: Seed of the classifiers.
    """

    export_dir: str
    domain_a: str | None = None
    domain_b: str | None = None
    data_dir: str | None = None
    num_images: int = 1000
    classifier_epochs: int = 3
    content: str = "auto"
    seed: int = 0


def silhouette_mask(images: np.ndarray) -> np.ndarray:
    """bool [N, H, W]: the object of a silhouette image (bright object, dark background).

    Pixels brighter than 1/4 of the range, closed by one pixel and with holes
    filled, so that a zebra's black stripes inside its body count as body.
    """
    grey = images.astype(np.float32).mean(axis=-1) / 255.0
    masks = []
    for m in grey > 0.25:
        m = ndimage.binary_closing(m, iterations=1)
        masks.append(ndimage.binary_fill_holes(m))
    return np.stack(masks)


def mask_iou(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """float [N]: |x & y| / |x | y| of bool masks [N, H, W] (1 where both are empty)."""
    inter = np.logical_and(x, y).sum(axis=(1, 2))
    union = np.logical_or(x, y).sum(axis=(1, 2))
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


def confusion(labels: np.ndarray, read: np.ndarray, num_classes: int) -> np.ndarray:
    """int [C, C]: row = the input's class, column = the class read in the output."""
    matrix = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(matrix, (labels.astype(np.int64), read.astype(np.int64)), 1)
    return matrix


def _classifier(shape, outputs, seed):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape)
    x = keras.layers.Rescaling(1 / 127.5, offset=-1.0)(inputs)
    for filters in (32, 64):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = keras.layers.MaxPooling2D(2, padding="same")(x)
    x = keras.layers.Flatten()(x)
    features = keras.layers.Dense(128, activation="relu", name="features")(x)
    logits = keras.layers.Dense(outputs, name="logits")(features)
    model = keras.Model(inputs, logits)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model, keras.Model(inputs, features)


def train_classifier(images, labels, outputs, *, epochs, seed):
    """A small CNN on uint8 images -> ``(classifier, feature extractor)``."""
    model, features = _classifier(images.shape[1:], outputs, seed)
    model.fit(images.astype(np.float32), labels, batch_size=64, epochs=epochs, shuffle=True, verbose=0)
    return model, features


def _predict(model, images):
    return model.predict(images.astype(np.float32), batch_size=256, verbose=0)


def _judged(domain, images, dst):
    """The share of `images` the domain classifier (A: 0, B: 1) judges to be of domain `dst`."""
    return float(np.mean(np.argmax(_predict(domain, images), axis=1) == (1 if dst == "b" else 0)))


def _load(spec, split, meta, data_dir, limit):
    size, channels = meta["image_size"], meta["channels"]
    source = domains_lib.open_domain(spec, data_dir=data_dir, split=split, image_size=size, channels=channels)
    images, labels = [], []
    ds = source.examples()
    if limit is not None:
        ds = ds.take(limit)
    for batch in ds.batch(2048).as_numpy_iterator():
        images.append(batch["image"])
        labels.append(batch["label"])
    if not images:
        raise TfganError(f"{spec}: no {split} images to evaluate on.")
    return np.concatenate(images), np.concatenate(labels), source


def _translate(signature, images, batch=256):
    out = [signature(images=tf.constant(images[i : i + batch]))["images"].numpy() for i in range(0, len(images), batch)]
    return np.concatenate(out)


def content_kind(options: EvalOptions, specs: dict, sources: dict) -> str:
    """Which content measure applies to these domains (see the module docstring)."""
    if options.content != "auto":
        return options.content
    if any(domains_lib.parse_domain_spec(s)[1] is not None for s in specs.values()):
        return "silhouette"
    classes = {k: getattr(s.info, "num_classes", None) for k, s in sources.items()}
    if classes["a"] and classes["a"] == classes["b"]:
        return "classes"
    return "none"


def evaluate(options: EvalOptions | dict) -> dict:
    """Scores the translator at ``options.export_dir``; see the module docstring.

    Returns:
      ``{"export_dir", "content", "directions": {"a_to_b": {"translated": {...},
      "untouched": {...}}, ...}}``.

    Raises:
      TfganError: No export there, or an unknown content measure.
    """
    if isinstance(options, dict):
        options = EvalOptions(**options)
    if not os.path.isdir(options.export_dir):
        raise TfganError(f"--export_dir={options.export_dir} does not exist.")
    export_dir = exports.latest_version(options.export_dir)
    if options.content not in ("auto", "classes", "silhouette", "none"):
        raise TfganError(f"content={options.content!r} is unknown; choose auto, classes, silhouette or none.")
    meta = exports.load_metadata(export_dir)
    specs = {
        "a": options.domain_a or meta["domains"]["a"],
        "b": options.domain_b or meta["domains"]["b"],
    }
    model = tf.saved_model.load(export_dir)
    train, test, sources = {}, {}, {}
    for k, spec in specs.items():
        train[k] = _load(spec, "train", meta, options.data_dir, 5000)[:2]
        *test[k], sources[k] = _load(spec, "test", meta, options.data_dir, options.num_images)
    kind = content_kind(options, specs, sources)
    # The domain classifier: real A (0) vs real B (1), balanced by repetition.
    n = max(len(train["a"][0]), len(train["b"][0]))
    reps = {k: int(np.ceil(n / len(train[k][0]))) for k in "ab"}
    x = np.concatenate([np.concatenate([train[k][0]] * reps[k])[:n] for k in "ab"])
    y = np.concatenate([np.zeros(n, np.int32), np.ones(n, np.int32)])
    domain, features = train_classifier(x, y, 2, epochs=options.classifier_epochs, seed=options.seed)
    class_models = {}
    if kind == "classes":
        for k in "ab":
            class_models[k], _ = train_classifier(
                train[k][0],
                train[k][1],
                sources[k].info.num_classes,
                epochs=options.classifier_epochs,
                seed=options.seed,
            )
    results = {"export_dir": export_dir, "content": kind, "directions": {}}
    for src in "ab":
        dst = OTHER[src]
        name = f"{src}_to_{dst}"
        if name not in model.signatures:
            continue
        forward, backward = model.signatures[name], model.signatures.get(f"{dst}_to_{src}")
        images, labels = test[src]
        real_dst = test[dst][0]
        out = _translate(forward, images)
        rows = {}
        dst_feats = _predict(features, real_dst)
        for row, x in (("translated", out), ("untouched", images)):
            r = {"realism": _judged(domain, x, dst), "fid": metrics.fid(_predict(features, x), dst_feats)}
            if kind == "classes":
                read = np.argmax(_predict(class_models[dst], x), axis=1)
                r["content"] = float(np.mean(read == labels))
                r["confusion"] = confusion(labels, read, sources[dst].info.num_classes).tolist()
            elif kind == "silhouette":
                r["content"] = float(mask_iou(silhouette_mask(images), silhouette_mask(x)).mean())
            rows[row] = r
        # The real Y test images: what a perfect filter's outputs would score (the classifiers' own error;
        # the FID of Y's training images against its test images).
        reference = {
            "realism": _judged(domain, real_dst, dst),
            "fid": metrics.fid(_predict(features, train[dst][0][: len(real_dst)]), dst_feats),
        }
        if kind == "classes":
            reference["content"] = float(
                np.mean(np.argmax(_predict(class_models[dst], real_dst), axis=1) == test[dst][1])
            )
        rows["real_target"] = reference
        if backward is not None:
            back = _translate(backward, out)
            rows["translated"]["cycle_l1"] = float(np.abs(back.astype(np.float32) - images).mean() / 255.0)
        same = _translate(forward, real_dst)
        rows["translated"]["identity_l1"] = float(np.abs(same.astype(np.float32) - real_dst).mean() / 255.0)
        rows["untouched"]["cycle_l1"] = rows["untouched"]["identity_l1"] = 0.0
        results["directions"][name] = {
            **rows,
            "source": specs[src],
            "target": specs[dst],
            "images": len(images),
            "target_images": len(real_dst),
        }
    return results


def format_results(results: dict) -> str:
    """The results as a table: one row per direction and row kind."""
    content = {"classes": "class kept", "silhouette": "mask IoU"}.get(results["content"], "")
    head = ["direction", "images", "judged target", "classifier FID"] + ([content] if content else [])
    head += ["cycle L1", "identity L1"]
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    labels = {"translated": "translated", "untouched": "untouched input", "real_target": "real target images"}
    for name, d in results["directions"].items():
        for row, kind in labels.items():
            if row not in d:  # results written before the reference row existed
                continue
            r = d[row]
            cells = [f"{name} ({kind})", str(d["target_images"] if row == "real_target" else d["images"])]
            cells += [f"{r['realism']:.1%}", f"{r['fid']:.2f}"]
            if content and "content" not in r:
                cells.append("n/a")
            elif content:
                cells.append(f"{r['content']:.1%}" if results["content"] == "classes" else f"{r['content']:.3f}")
            # A one-way translator (e.g. tfgan.toonify without a B encoder) has no cycle.
            cells += [f"{r[k]:.4f}" if k in r else "n/a" for k in ("cycle_l1", "identity_l1")]
            lines.append(" | ".join(cells))
    return "\n".join(lines)
