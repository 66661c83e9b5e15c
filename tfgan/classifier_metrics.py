"""Domain-classifier metrics of generated images: classifier-FID, classifier score, class coverage.

A small CNN trained on a labelled dataset's real training images (cached
per dataset and image shape, so every generator of that data is scored by
the same one) stands in for InceptionV3: its 128-d ``features`` layer gives
a "classifier FID" and its class probabilities the classifier score and
the class histogram. Every figure comes with its real-data reference (real
training vs real test images), the baseline a generator is read against.

Shared by the families whose exports make images of a labelled dataset
(the image GAN, StyleGAN2); the metrics themselves are `tfgan.metrics`'.
"""

from __future__ import annotations

import hashlib
import logging
import os

import keras
import numpy as np

import pipelines
from tfgan import metrics

log = logging.getLogger(__name__)


def default_cache_dir() -> str:
    """Where trained domain classifiers are kept unless told otherwise: ``~/.cache/tfgan/classifiers``."""
    return os.path.join(os.path.expanduser("~"), ".cache", "tfgan", "classifiers")


def real_images(source: pipelines.ImageSource) -> tuple[np.ndarray, np.ndarray]:
    """All of a source's images (uint8) and labels, in its order."""
    images, labels = [], []
    for batch in source.examples().batch(2000).as_numpy_iterator():
        images.append(batch["image"])
        labels.append(batch["label"])
    return np.concatenate(images), np.concatenate(labels)


def classifier_key(dataset: str, image_shape) -> str:
    """The cache file name (without ``.keras``) of the classifier of `dataset` at `image_shape`."""
    digest = hashlib.sha1(f"{dataset}|{tuple(image_shape)}".encode()).hexdigest()[:12]
    return f"{dataset.replace(':', '_').replace('/', '_')[:40]}-{'x'.join(map(str, image_shape))}-{digest}"


def build_classifier(image_shape, num_classes: int) -> keras.Model:
    """A small CNN; its ``features`` layer (128-d) serves classifier-FID."""
    return keras.Sequential(
        [
            keras.Input(image_shape),
            keras.layers.Rescaling(1.0 / 255),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="relu"),
            keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(128, activation="relu", name="features"),
            keras.layers.Dense(num_classes, activation="softmax", name="probs"),
        ],
        name="domain_classifier",
    )


def domain_classifier(
    dataset: str,
    train,
    train_labels,
    test,
    test_labels,
    num_classes: int,
    *,
    cache_dir: str | None = None,
    train_if_missing: bool = False,
    epochs: int = 3,
):
    """Loads the cached classifier of `dataset` at this image shape, or trains (and caches) one.

    Args:
      dataset: The dataset spec the classifier is cached under.
      train, train_labels: uint8 [N, H, W, C] training images and their labels.
      test, test_labels: Held-out images and labels (the reported accuracy).
      num_classes: The classifier's outputs.
      cache_dir: The cache; default `default_cache_dir`.
      train_if_missing: Train one when none is cached.
      epochs: Epochs of that training.

    Returns:
      ``(model, test_accuracy)``, or ``(None, None)`` when none is cached and
      `train_if_missing` is false.
    """
    cache = cache_dir or default_cache_dir()
    path = os.path.join(cache, classifier_key(dataset, train.shape[1:]) + ".keras")
    if os.path.exists(path):
        model = keras.saving.load_model(path, safe_mode=True)
        log.info("loaded the domain classifier %s", path)
    elif train_if_missing:
        keras.utils.set_random_seed(0)
        model = build_classifier(train.shape[1:], num_classes)
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
        )
        model.fit(train, train_labels, batch_size=128, epochs=epochs, verbose=0)
        os.makedirs(cache, exist_ok=True)
        tmp = path + ".tmp.keras"
        model.save(tmp)
        os.replace(tmp, path)  # another evaluation never reads a half-written file
        log.info("trained the domain classifier and cached it in %s", path)
    else:
        return None, None
    accuracy = float(np.mean(np.argmax(model.predict(test, verbose=0), axis=1) == test_labels))
    return model, accuracy


def classifier_metrics(model, generated, train, test, num_classes: int, asked_labels=None) -> dict:
    """Classifier-FID, classifier score and class coverage, each with its real-data reference.

    With `asked_labels` (the classes a conditional generator was asked for)
    also the class accuracy: the fraction of generated images the
    classifier assigns to the asked class, overall and per class.
    """
    features = keras.Model(model.inputs, [model.get_layer("features").output, model.get_layer("probs").output])

    def run(images):
        f, p = features.predict(images, batch_size=500, verbose=0)
        return f, p

    n = min(len(generated), len(test))
    gen_f, gen_p = run(generated)
    test_f, test_p = run(test)
    train_f, _ = run(train[:n])
    hist_gen = metrics.class_histogram(gen_p, num_classes)
    hist_test = metrics.class_histogram(test_p, num_classes)
    out = {}
    if asked_labels is not None:
        predicted = np.argmax(gen_p, axis=1)
        out["class_accuracy"], out["class_accuracy_per_class"] = conditional_accuracy(predicted, asked_labels)
    return out | {
        "classifier_fid": metrics.fid(gen_f, test_f),
        "classifier_fid_real": metrics.fid(train_f, test_f),
        "classifier_score": metrics.inception_score(gen_p)[0],
        "classifier_score_real": metrics.inception_score(test_p)[0],
        "class_histogram": hist_gen.tolist(),
        "class_histogram_real": hist_test.tolist(),
        "classes_covered": metrics.classes_covered(hist_gen),
        "classes_covered_real": metrics.classes_covered(hist_test),
    }


def conditional_accuracy(predicted, asked) -> tuple[float, list[float]]:
    """``(accuracy, per-class accuracy)`` of predicted vs asked classes (classes 0..max(asked))."""
    predicted, asked = np.asarray(predicted), np.asarray(asked)
    hits = predicted == asked
    per_class = [float(hits[asked == c].mean()) if np.any(asked == c) else float("nan") for c in range(asked.max() + 1)]
    return float(hits.mean()), per_class


def format_lines(k: dict, test_accuracy: float) -> list[str]:
    """The report's lines of `classifier_metrics`' result `k`: generated beside the real reference."""
    lines = [
        f"Domain classifier (test accuracy {test_accuracy:.3f}):   generated | real reference",
        f"  classifier-FID (vs test)        {k['classifier_fid']:>10.3f} | {k['classifier_fid_real']:.3f} (train vs test)",
        f"  classifier score (max = C)      {k['classifier_score']:>10.3f} | {k['classifier_score_real']:.3f} (test)",
        f"  classes covered                 {k['classes_covered']:>10d} | {k['classes_covered_real']} (test)",
        f"  class histogram                 {k['class_histogram']}",
    ]
    if "class_accuracy" in k:
        per_class = " ".join(f"{a:.2f}" for a in k["class_accuracy_per_class"])
        lines += [
            f"  class accuracy (asked label)    {k['class_accuracy']:>10.3f} | {test_accuracy:.3f} (classifier on test)",
            f"  per class                       {per_class}",
        ]
    return lines
