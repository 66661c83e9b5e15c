"""Scoring a StyleGAN2 export with the domain classifier: classifier-FID, classifier score, classes covered.

The image GAN family's classifier metrics (`tfgan.classifier_metrics`),
computed from the SavedModel alone: ``--num_samples`` images drawn through
its ``sample`` signature (seeds ``seed..seed+n-1``, w moved towards the
mean w by ``--truncation``), scored against real images of the data it was
trained on (metadata.json's ``dataset``; a blend records its high model's),
at the export's image size. Every figure stands beside its **real
reference** (real training vs real test images): the baseline a generator
is read against.

A class restriction (``SPEC#class=NAME``, e.g. a horse-only run) leaves
one class, from which a classifier learns nothing; the classifier is then
the unrestricted dataset's (``SPEC``), while FID and its reference are
taken against the restricted class's real images. The class histogram then
shows which of SPEC's classes the generated images look like.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from pipelines import PipelineError, domains
from tfgan import classifier_metrics, guards
from tfgan.errors import ConfigError, TfganError
from tfgan.families.stylegan import export
from tfgan.run import exports

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class EvalOptions:
    """What `evaluate` computes for a StyleGAN2 export.

    Attributes:
      export_dir: An export version directory, or the base holding versions.
      dataset: The real data, as for training; default: the export's
        (metadata.json).
      data_dir: TFDS data directory (not recorded in the export).
      num_samples: Generated images for the classifier metrics.
      truncation: StyleGAN2 exports: psi of the truncation trick, w moved
        towards the mean w (1: none; 0.5-0.7 trades variety for quality).
      train_classifier: Train the domain classifier if none is cached.
      classifier_dir: Cache of domain classifiers; default ``~/.cache/tfgan/classifiers``.
      classifier_epochs: Epochs of classifier training.
      seed: First seed of the generated images.
      allow_mismatch: Score an export against a dataset other than the one
        it was trained on (refused otherwise).
    """

    export_dir: str
    dataset: str | None = None
    data_dir: str | None = None
    num_samples: int = 10_000
    truncation: float = 1.0
    train_classifier: bool = False
    classifier_dir: str | None = None
    classifier_epochs: int = 3
    seed: int = 0
    allow_mismatch: bool = False

    def __post_init__(self):
        for name in ("num_samples", "classifier_epochs"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name} must be a positive integer, got {getattr(self, name)}.")
        if not 0 <= self.truncation <= 1:
            raise ConfigError(f"--truncation is psi in [0, 1] (1: none), got {self.truncation}.")


def _native_shape(spec: str, data_dir, fallback):
    try:
        return domains.open_domain(spec, data_dir=data_dir, split="test").info.image_shape
    except PipelineError:  # e.g. a folder of mixed sizes: only the resized data has a shape
        return fallback


def evaluate(options: EvalOptions | dict) -> dict:
    """Scores the StyleGAN2 export at ``options.export_dir``; see the module docstring.

    Returns:
      A JSON-serialisable dict (what eval.json holds): ``classifier`` holds
      `tfgan.classifier_metrics.classifier_metrics`' figures, each
      ``*_real`` one the real reference.

    Raises:
      TfganError: No StyleGAN2 export there, data of another dataset than
        the export's (without ``allow_mismatch``), data without class
        labels, or no cached classifier and ``train_classifier`` off.
      pipelines.PipelineError: The data cannot be read.
    """
    if isinstance(options, dict):
        options = EvalOptions(**options)
    export_dir, meta = exports.family_export(
        options.export_dir, export.FAMILY, "a StyleGAN2 generator export (<run>/export/generator)"
    )
    size, channels = int(meta["image_size"]), int(meta["channels"])
    shape = (size, size, channels)
    dataset = options.dataset or meta.get("dataset")
    if not dataset:
        raise ConfigError(f"{export_dir}'s metadata.json records no dataset; pass the --dataset it was trained on.")
    native = _native_shape(dataset, options.data_dir, shape)
    # guards.check_eval_data reads an image family export's image_shape.
    notes = guards.check_eval_data({**meta, "image_shape": list(shape)}, dataset, native, options.allow_mismatch)
    for note in notes:
        log.warning(note)

    def real(spec, split):
        source = domains.open_domain(
            spec, data_dir=options.data_dir, split=split, image_size=size, channels=channels, role="--dataset"
        )
        return source, *classifier_metrics.real_images(source)

    train_source, train, train_labels = real(dataset, "train")
    _, test, test_labels = real(dataset, "test")
    num_classes = train_source.info.num_classes
    if not num_classes or num_classes < 2:
        raise TfganError(
            f"--dataset={dataset} has no class labels: the domain classifier needs labelled data of several "
            "classes (e.g. digits, tfds:mnist, offline:animal_mnist)."
        )
    base, selector = domains.parse_domain_spec(dataset)
    if selector is None:
        clf_data = (train, train_labels, test, test_labels)
    else:  # one class only: the classifier of the whole dataset (see the module docstring)
        clf_data = (*real(base, "train")[1:], *real(base, "test")[1:])
    model, accuracy = classifier_metrics.domain_classifier(
        base,
        *clf_data,
        num_classes,
        cache_dir=options.classifier_dir,
        train_if_missing=options.train_classifier,
        epochs=options.classifier_epochs,
    )
    if model is None:
        cache = options.classifier_dir or classifier_metrics.default_cache_dir()
        raise ConfigError(
            f"no domain classifier of {base} at {size}x{size}x{channels} is cached in {cache}; pass "
            "--train_classifier to train one (it is cached for the next evaluation)."
        )
    seeds = guards.sample_seeds(options.seed, options.num_samples)
    generated = export.sample_images(export_dir, seeds, options.truncation)
    # Some sources are sorted by class (offline:mnist_5k): the reference's first training images, and the
    # classifier score's splits of the test images, would each hold one class. A fixed order of both instead.
    rng = np.random.default_rng(0)
    train, test = train[rng.permutation(len(train))], test[rng.permutation(len(test))]
    return {
        "export_dir": export_dir,
        "dataset": dataset,
        "classifier_dataset": base,
        "step": meta.get("step"),
        "truncation": options.truncation,
        "num_samples": options.num_samples,
        "num_train": len(train),
        "num_test": len(test),
        "image_shape": list(shape),
        "notes": notes,
        "classifier_test_accuracy": accuracy,
        "classifier": classifier_metrics.classifier_metrics(model, generated, train, test, num_classes),
    }


def format_results(results: dict) -> str:
    """The human-readable report: the classifier metrics of the samples beside the real reference."""
    lines = [*results.get("notes", []), *([""] if results.get("notes") else [])]
    lines.append(
        f"{results['export_dir']} (step {results.get('step')}): {results['num_samples']} samples at truncation "
        f"{results['truncation']:g}, against {results['dataset']} ({results['num_train']} train, "
        f"{results['num_test']} test images)"
    )
    if results["classifier_dataset"] != results["dataset"]:
        lines.append(f"(the domain classifier is {results['classifier_dataset']}'s: one class leaves nothing to tell)")
    lines += classifier_metrics.format_lines(results["classifier"], results["classifier_test_accuracy"])
    return "\n".join(lines)
