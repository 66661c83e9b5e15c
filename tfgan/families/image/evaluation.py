"""Scoring an exported generator: the paper's Parzen table, classifier metrics, FID/KID/IS.

Everything here works from a SavedModel export (its ``sample`` signature),
so any generator tfgan exported can be scored, and from a dataset given as
for training (``--dataset``/``--data_dir``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os

import keras
import numpy as np
import tensorflow as tf

import pipelines
from tfgan import classifier_metrics as classifier_metrics_lib
from tfgan import guards, metrics

# Re-exported: the image family's evaluation API before these moved to the shared module.
from tfgan.classifier_metrics import (  # noqa: F401
    build_classifier,
    classifier_key,
    classifier_metrics,
    conditional_accuracy,
    real_images,
)
from tfgan.errors import ConfigError, TfganError
from tfgan.families.image import export as exporting
from tfgan.families.image.conditioning import with_labels
from tfgan.fileio import atomic_write
from tfgan.run import exports

log = logging.getLogger(__name__)

# Goodfellow et al. 2014, Table 1: Parzen window log-likelihood on MNIST.
PAPER_TABLE1 = (
    ("DBN", "138 ± 2"),
    ("Stacked CAE", "121 ± 1.6"),
    ("Deep GSN", "214 ± 1.1"),
    ("Adversarial nets (paper)", "225 ± 2"),
)


@dataclasses.dataclass(frozen=True)
class EvalConfig:
    """What `evaluate` computes.

    Attributes:
      export_dir: An export version directory, or the base holding versions.
      dataset, data_dir: The real data, as for training; ``dataset`` defaults
        to the one the export records it was trained on (else ``digits``).
      num_samples: Generated images for the classifier and Inception metrics.
      parzen_samples: Generated images that centre the Parzen windows (paper: 10,000).
      parzen_valid: The last this-many training images choose sigma (paper: 10,000).
      parzen: Compute the Parzen estimate.
      train_classifier: Train the domain classifier if none is cached.
      classifier_dir: Cache of domain classifiers; default ``~/.cache/tfgan/classifiers``.
      classifier_epochs: Epochs of classifier training.
      inception_weights: InceptionV3 weights (.h5) for FID/KID/IS; ``imagenet``
        downloads them (needs the internet); None skips these metrics.
      kid_subsets: Subsets averaged by KID.
      seed: First seed of the generated images.
      allow_mismatch: Score an export against a dataset other than the one
        it was trained on (refused otherwise).
    """

    export_dir: str
    dataset: str | None = None
    data_dir: str | None = None
    num_samples: int = 10_000
    parzen_samples: int = 10_000
    parzen_valid: int = 10_000
    parzen: bool = True
    train_classifier: bool = False
    classifier_dir: str | None = None
    classifier_epochs: int = 3
    inception_weights: str | None = None
    kid_subsets: int = 100
    seed: int = 0
    allow_mismatch: bool = False

    def __post_init__(self):
        for name in ("num_samples", "parzen_samples", "parzen_valid", "classifier_epochs", "kid_subsets"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name} must be a positive integer, got {getattr(self, name)}.")


def generated_images(export_dir: str, n: int, seed: int = 0, batch: int = 1000, num_classes=None) -> np.ndarray:
    """uint8 [n, H, W, C] from the export's ``sample`` signature (seeds seed..seed+n-1).

    A conditional export (`num_classes`) is asked for the classes in turn:
    image i has label ``i % num_classes`` (see `generated_labels`).
    """
    model = tf.saved_model.load(export_dir)
    sample = model.signatures["sample"]
    parts = []
    for s in range(seed, seed + n, batch):
        seeds = tf.range(s, min(s + batch, seed + n), dtype=tf.int64)
        if num_classes:
            labels = tf.constant(generated_labels(len(seeds), num_classes, offset=s - seed))
            parts.append(sample(seed=seeds, label=labels)["images"].numpy())
        else:
            parts.append(sample(seed=seeds)["images"].numpy())
    return np.concatenate(parts)


def generated_labels(n: int, num_classes: int, offset: int = 0) -> np.ndarray:
    """The labels `generated_images` asks a conditional export for: int32 ``(offset + i) % num_classes``."""
    return ((np.arange(n) + offset) % num_classes).astype(np.int32)


def _flat01(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


def parzen_table(generated, train, test, n_samples: int, n_valid: int) -> dict:
    """The paper's protocol: sigma chosen on the last `n_valid` training images, then the test LL.

    Also the same estimate with real training images as the window centres
    (the first `n_samples` training images, disjoint from the validation
    ones), the reference a perfect generator would reach.
    """
    if len(train) < n_valid + 2:
        raise TfganError(f"the dataset has {len(train)} training images; lower --parzen_valid (now {n_valid}).")
    valid = _flat01(train[-n_valid:])
    test = _flat01(test)
    rows = {}
    centres = {
        "generated": _flat01(generated[:n_samples]),
        "real_train": _flat01(train[: min(n_samples, len(train) - n_valid)]),
    }
    for name, samples in centres.items():
        sigma, scores = metrics.parzen_select_sigma(samples, valid)
        mean, se = metrics.mean_and_stderr(metrics.parzen_log_likelihood(samples, test, sigma))
        rows[name] = {"ll": mean, "se": se, "sigma": sigma, "valid_ll": scores, "n_samples": len(samples)}
    return rows


def domain_classifier(config: EvalConfig, train, train_labels, test, test_labels, num_classes: int):
    """`tfgan.classifier_metrics.domain_classifier` with `config`'s dataset, cache and training settings.

    Returns:
      ``(model, test_accuracy)``, or ``(None, None)`` when none is cached and
      training was not asked for.
    """
    return classifier_metrics_lib.domain_classifier(
        config.dataset,
        train,
        train_labels,
        test,
        test_labels,
        num_classes,
        cache_dir=config.classifier_dir,
        train_if_missing=config.train_classifier,
        epochs=config.classifier_epochs,
    )


def inception_model(weights: str) -> keras.Model:
    """Keras' InceptionV3 giving (2048-d pool features, 1008/1000-class probabilities)."""
    if weights != "imagenet" and not os.path.isfile(weights):
        raise TfganError(f"--inception_weights={weights}: no such file. Pass an InceptionV3 .h5 weights file.")
    try:
        base = keras.applications.InceptionV3(include_top=True, weights=weights)
    except Exception as e:  # the download fails offline
        raise TfganError(
            f"cannot load InceptionV3 weights {weights!r} ({str(e).splitlines()[0][:200]}). Offline, download "
            f"inception_v3_weights_tf_dim_ordering_tf_kernels.h5 elsewhere and pass --inception_weights=PATH."
        ) from e
    return keras.Model(base.inputs, [base.get_layer("avg_pool").output, base.output])


def inception_outputs(model, images: np.ndarray, batch: int = 100):
    """Pool features and class probabilities of uint8 images (resized to 299, grey tiled to RGB)."""
    feats, probs = [], []
    for start in range(0, len(images), batch):
        x = tf.convert_to_tensor(images[start : start + batch])
        if x.shape[-1] == 1:
            x = tf.tile(x, [1, 1, 1, 3])
        x = tf.image.resize(tf.cast(x, tf.float32), [299, 299], antialias=True)
        x = keras.applications.inception_v3.preprocess_input(x)
        f, p = model(x, training=False)
        feats.append(np.asarray(f))
        probs.append(np.asarray(p))
    return np.concatenate(feats), np.concatenate(probs)


def evaluate(config: EvalConfig) -> dict:
    """Computes the configured metrics for an export.

    Returns:
      A JSON-serialisable dict (what eval.json holds).

    Raises:
      TfganError, pipelines.PipelineError: Missing export, data or weights.
    """
    if not os.path.isdir(config.export_dir):
        raise TfganError(f"--export_dir={config.export_dir} does not exist.")
    export_dir = exports.latest_version(config.export_dir)
    meta = exports.load_metadata(export_dir)
    config = dataclasses.replace(config, dataset=config.dataset or meta.get("dataset") or "digits")
    h, w, c = meta["image_shape"]
    try:
        native = pipelines.open_source(config.dataset, data_dir=config.data_dir, split="test").info.image_shape
    except pipelines.PipelineError:  # e.g. a folder of mixed sizes: only the resized data has a shape
        native = (h, w, c)
    notes = guards.check_eval_data(meta, config.dataset, native, config.allow_mismatch)
    for note in notes:
        log.warning(note)
    open_split = lambda split: pipelines.open_source(  # noqa: E731
        config.dataset, data_dir=config.data_dir, split=split, image_size=h, channels=c
    )
    train_source, test_source = open_split("train"), open_split("test")
    train, train_labels = real_images(train_source)
    test, test_labels = real_images(test_source)
    n_gen = max(config.num_samples, config.parzen_samples if config.parzen else 0)
    conditional = meta.get("num_classes")
    generated = generated_images(export_dir, n_gen, seed=config.seed, num_classes=conditional)
    results = {
        "export_dir": export_dir,
        "dataset": config.dataset,
        "step": meta.get("step"),
        "model": meta.get("model"),
        "num_train": len(train),
        "num_test": len(test),
        "image_shape": [h, w, c],
        "notes": notes,
    }
    if conditional:
        results["num_classes"] = conditional
    if config.parzen:
        results["parzen"] = parzen_table(generated, train, test, config.parzen_samples, config.parzen_valid)
    num_classes = train_source.info.num_classes
    if num_classes:
        model, accuracy = domain_classifier(config, train, train_labels, test, test_labels, num_classes)
        if model is not None:
            results["classifier_test_accuracy"] = accuracy
            n = config.num_samples
            asked = generated_labels(n, conditional) if conditional else None
            results["classifier"] = classifier_metrics(model, generated[:n], train, test, num_classes, asked)
    if config.inception_weights:
        model = inception_model(config.inception_weights)
        n = min(config.num_samples, len(test))
        gen_f, gen_p = inception_outputs(model, generated[:n])
        test_f, test_p = inception_outputs(model, test[:n])
        train_f, _ = inception_outputs(model, train[:n])
        results["inception"] = {
            "note": "computed with Keras' InceptionV3 (not the TF1 FID graph): compare only with the same tool",
            "fid": metrics.fid(gen_f, test_f),
            "fid_real": metrics.fid(train_f, test_f),
            "kid": metrics.kernel_inception_distance(gen_f, test_f, config.kid_subsets, min(1000, n))[0],
            "kid_real": metrics.kernel_inception_distance(train_f, test_f, config.kid_subsets, min(1000, n))[0],
            "inception_score": metrics.inception_score(gen_p)[0],
            "inception_score_real": metrics.inception_score(test_p)[0],
        }
    return results


def format_table(results: dict) -> str:
    """The human-readable report: the paper's Table 1 with our rows, then the other metrics."""
    lines = [*results.get("notes", []), *([""] if results.get("notes") else [])]
    if "parzen" in results:
        p = results["parzen"]
        lines += ["Parzen window log-likelihood of the test set (Goodfellow et al. 2014, Table 1):", ""]
        lines += [f"  {'model':34s} {'log-likelihood':>16s}"]
        if guards.shows_paper_rows(results["dataset"], results.get("image_shape", ())):
            lines += [f"  {name:34s} {value:>16s}" for name, value in PAPER_TABLE1]
        gen, real = p["generated"], p["real_train"]
        lines += [
            f"  {'this generator (step ' + str(results.get('step')) + ')':34s} "
            f"{gen['ll']:>9.1f} ± {gen['se']:.1f}   (sigma {gen['sigma']:.3f}, {gen['n_samples']} samples)",
            f"  {'real training images (reference)':34s} "
            f"{real['ll']:>9.1f} ± {real['se']:.1f}   (sigma {real['sigma']:.3f}, {real['n_samples']} samples)",
            "",
        ]
    if "classifier" in results:
        lines += classifier_metrics_lib.format_lines(results["classifier"], results["classifier_test_accuracy"])
        lines.append("")
    if "inception" in results:
        i = results["inception"]
        lines += [
            "Keras InceptionV3 metrics (not the TF1 FID graph):   generated | real reference",
            f"  FID {i['fid']:.3f} | {i['fid_real']:.3f}   KID {i['kid']:.5f} | {i['kid_real']:.5f}   "
            f"IS {i['inception_score']:.3f} | {i['inception_score_real']:.3f}",
            "",
        ]
    return "\n".join(lines)


def write_results(results: dict, path: str) -> None:
    """eval.json, atomically."""
    atomic_write(path, json.dumps(results, indent=2, sort_keys=True, default=float) + "\n")


class ParzenMonitor(keras.callbacks.Callback):
    """Logs a cheap Parzen estimate to TensorBoard every `every` steps (``--eval_every``).

    `n` samples from the in-memory generator centre the windows; sigma is
    chosen on `valid` and the mean log-likelihood of `heldout` is logged as
    ``eval/parzen_ll`` (with ``eval/parzen_sigma``). Small sets keep it to a
    fraction of a second; it tracks progress, it is not the paper's table.

    Args:
      every: Steps between estimates.
      heldout, valid: uint8 images [M, H, W, C] scored / used to pick sigma.
      value_range: The generator's output range.
      writer: A `tf.summary` writer.
      n: Generated samples.
    """

    def __init__(self, every, heldout, valid, value_range, writer, n=1000):
        super().__init__()
        self.every, self.value_range, self.writer, self.n = every, value_range, writer, n
        self.heldout, self.valid = _flat01(heldout), _flat01(valid)

    def estimate(self) -> tuple[float, float]:
        """``(mean log-likelihood, sigma)`` for the current generator."""
        z = exporting.stateless_latent(np.arange(self.n), self.model.latent_dim, self.model.noise)
        classes = getattr(self.model, "num_classes", None)
        labels = None if not classes else tf.range(self.n, dtype=tf.int32) % classes
        low, high = self.value_range
        x = (np.asarray(self.model.sampling_generator(with_labels(z, labels), training=False)) - low) / (high - low)
        samples = np.clip(x.reshape(self.n, -1), 0.0, 1.0)
        sigma, _ = metrics.parzen_select_sigma(samples, self.valid)
        return float(metrics.parzen_log_likelihood(samples, self.heldout, sigma).mean()), sigma

    def on_train_batch_end(self, batch, logs=None):
        step = int(keras.ops.convert_to_numpy(self.model.step))
        if step % self.every:
            return
        ll, sigma = self.estimate()
        with self.writer.as_default(step=step):
            tf.summary.scalar("eval/parzen_ll", ll)
            tf.summary.scalar("eval/parzen_sigma", sigma)


def parzen_monitor(config, train_source, value_range, writer) -> ParzenMonitor:
    """The ``--eval_every`` callback: held-out images from the test split when the dataset has one."""
    train, _ = real_images(train_source)
    try:
        h, _, c = train_source.info.image_shape
        test_source = pipelines.open_source(
            config.dataset, data_dir=config.data_dir, split="test", image_size=h, channels=c
        )
        heldout = real_images(test_source)[0][:1000]
    except pipelines.PipelineError:  # a folder has no test split: hold out training images
        heldout = train[-1500:-500]
    return ParzenMonitor(config.eval_every, heldout, train[-500:], value_range, writer)
