"""The contract between a model family and the family-agnostic run machinery.

A family (``tfgan/families/<name>/``) owns its Keras model and
``train_step``, its parameter dataclass, networks, presets, export
signatures and evaluation. The run machinery (`tfgan.run.training`) owns the
run directory, config.json, checkpoints and resume, the NaN guard, the
TensorBoard writer, export versioning and chief-only writes. They meet
here, in two plain records (no base class with hooks):

- `Family`: what the registry (`tfgan.families.FAMILIES`) knows of a family
  before any run: its name, parameter dataclass, presets, and the functions
  that set up a run, export a checkpoint, sample and evaluate an export.
- `Trainer`: what ``Family.setup`` returns for one run: the compiled model,
  what to checkpoint, the data stream, what to summarise and what to export.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import keras
import tensorflow as tf

from tfgan.run.config import RunConfig


@dataclasses.dataclass(frozen=True)
class SetupContext:
    """What ``Family.setup`` gets.

    Attributes:
      run: The run's infrastructure config (model_dir, steps, seed, ...).
      params: The family's parameter dataclass as given (unresolved: fields
        that the data decides, such as an image size, may still be None).
      strategy: The `tf.distribute.Strategy`; ``setup`` is called inside its
        scope.
      fresh: True when the run has no checkpoint yet (a family may then
        initialise from the data, e.g. an output bias from the mean image;
        a resumed run's weights come from the checkpoint instead).
    """

    run: RunConfig
    params: Any
    strategy: tf.distribute.Strategy
    fresh: bool


@dataclasses.dataclass
class Trainer:
    """One run of a family, built and compiled, ready for the run machinery.

    Attributes:
      model: The compiled `keras.Model` whose ``fit`` trains (its own
        ``train_step``). It has `tfgan.steps.add_step_counters`' variables
        (``step``, ``nonfinite``, ``skipped_updates``, ``nonfinite_bits``).
      params: The resolved parameters (every data-dependent field filled in),
        written to config.json beside the run config.
      steps_per_epoch: Train steps (``step`` increments) in one pass over
        the data.
      checkpoint: Name -> trackable: everything a resumed run needs to
        continue exactly (weights, optimisers, step, every RNG state, pools).
      optional: Names in `checkpoint` that an older checkpoint may lack
        (an extension switched on at a resume), each with the function that
        initialises it then; a checkpoint holding one that `checkpoint` now
        lacks is restored without it.
      dataset: ``start_step -> tf.data.Dataset``: the infinite training
        stream as an uninterrupted run would be after `start_step` steps.
      summarize: ``step -> None``: writes the family's pictures or sounds
        (sample grids, piano-rolls, before/after pairs) into the default
        summary writer; called once per epoch (or every ``sample_every``
        steps) and at the end.
      report: ``logs -> str``: the one-line summary of a step's metrics
        printed at the end of a run.
      finish: ``model_dir -> {name: path}``: writes the run's final
        artefacts (e.g. samples.png) on the chief; returns what it wrote.
      export: ``staging_dir -> metadata``: writes the SavedModel into the
        (empty) staging directory and returns the facts for metadata.json;
        `tfgan.run.exports.publish` makes it a version atomically.
      export_name: The export's folder under ``<model_dir>/export/``.
      progress: What the progress bar shows (every metric still goes to
        TensorBoard): entries are metric names, or ``(label, source)`` with
        `source` a metric name or ``logs -> float`` (a derived quantity);
        None shows every metric.
      tags: Metric name -> the TensorBoard tag it is written under (group
        tags by meaning, e.g. ``loss/D``), or ``(run, tag)`` to write it
        into a run of its own (two metrics with one tag in two runs share a
        chart, a colour each); None leaves a metric out of TensorBoard;
        unnamed metrics keep their names. The metric names
        ``train_step`` returns are unchanged.
      layout: A TensorBoard custom-scalars layout (`layout_pb2.Layout`) or
        None.
      constants: Reference lines, tag -> value (e.g. an equilibrium value),
        written into the logs' ``reference`` run under the tag of the
        metric they belong to, so they share its chart.
      callbacks: ``summary_writer -> [keras.callbacks.Callback]``: the
        family's own monitors (e.g. a periodic quality estimate), run after
        the NaN guard and the TensorBoard writer, before the checkpointer.
      after_restore: Called after a checkpoint was restored (e.g. to apply
        a learning rate changed at the resume).
    """

    model: keras.Model
    params: Any
    steps_per_epoch: int
    checkpoint: dict[str, Any]
    dataset: Callable[[int], tf.data.Dataset]
    summarize: Callable[[int], None]
    report: Callable[[dict], str]
    finish: Callable[[str], dict]
    export: Callable[[str], dict]
    export_name: str
    optional: dict[str, Callable[[], None]] = dataclasses.field(default_factory=dict)
    progress: tuple | None = None
    tags: dict[str, str | tuple[str, str] | None] = dataclasses.field(default_factory=dict)
    layout: Any = None
    constants: dict[str, float] = dataclasses.field(default_factory=dict)
    callbacks: Callable[[Any], list] = lambda writer: []
    after_restore: Callable[[], None] | None = None


@dataclasses.dataclass(frozen=True)
class Family:
    """A model family, as the registry and the CLIs know it.

    Attributes:
      name: The registry key; config.json and metadata.json record it as
        ``family``.
      params: The frozen parameter dataclass (its Google-style docstring's
        ``Attributes:`` give the flags' help texts).
      presets: Preset name -> field values (of `RunConfig` and `params`);
        the dataclass defaults fill the rest.
      shape_fields: Fields of `params` a checkpoint's variables depend on:
        resuming with other values is refused.
      setup: ``SetupContext -> Trainer``.
      export_checkpoint: ``(run, params, checkpoint_path, staging_dir) ->
        metadata``: restores what the export needs from a checkpoint (no
        data needed) and writes the SavedModel into `staging_dir`.
      export_name: The export's folder under ``<model_dir>/export/``.
      sample_options: The frozen dataclass of ``python -m tfgan.sample``'s
        options for this family's exports (its flags are generated from it).
      sample: ``sample_options -> str``: samples an export; returns what to
        print.
      eval_options: The frozen dataclass of ``python -m tfgan.evaluate``'s
        options for this family's exports.
      evaluate: ``eval_options -> dict`` (JSON-serialisable results).
      format_results: ``results -> str``: the human-readable report.
      meaning_fields: Field of `params` -> why: fields that change what a
        checkpoint means (its loss, its data), so that a resume with another
        value is refused like a shape field's; every other change is
        accepted, logged and recorded (`tfgan.run.recovery`).
      export_fields: Fields of `params` that decide an export besides the
        checkpoint's tensors (which weights, their shape, the metadata): an
        export is reused only when made from the same checkpoint and these
        values; None: all of `params`.
    """

    name: str
    params: type
    presets: Mapping[str, Mapping[str, Any]]
    shape_fields: tuple[str, ...]
    setup: Callable[[SetupContext], Trainer]
    export_checkpoint: Callable[..., dict]
    export_name: str
    sample_options: type | None = None
    sample: Callable[[Any], str] | None = None
    eval_options: type | None = None
    evaluate: Callable[[Any], dict] | None = None
    format_results: Callable[[dict], str] | None = None
    meaning_fields: Mapping[str, str] = dataclasses.field(default_factory=dict)
    export_fields: tuple[str, ...] | None = None
