"""`RunConfig`: the infrastructure half of a run's configuration.

A run's config.json holds the `RunConfig` fields, the family's parameter
fields (`tfgan.run.family.Family.params`) and ``family``, flat in one JSON
object: a run directory written before families existed (no ``family``
key) is an image-GAN run.
"""

from __future__ import annotations

import dataclasses

from tfgan.distribute import STRATEGIES
from tfgan.errors import ConfigError
from tfgan.precision import MIXED_DTYPES


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """How a run is carried out, whatever the family.

    Attributes:
      preset: The preset the fields were filled from (it names the family).
      model_dir: Run directory: config.json, checkpoints/, logs/, export/.
      batch_size: The global minibatch (split evenly over the replicas).
      steps: Total train steps; exclusive with `epochs`.
      epochs: Total passes over the data.
      seed: Seed of weights, noise and data order.
      checkpoint_every: Checkpoint every N steps (and at the end).
      keep_checkpoints: Checkpoints kept on disk.
      log_every: TensorBoard scalars every N steps.
      sample_every: TensorBoard samples every N steps; 0 = every epoch.
      export: Export the trained model as a SavedModel at the end.
      jit_compile: Compile the train step with XLA.
      steps_per_execution: Train steps per call of the compiled function.
      on_nan: On a NaN/inf loss or gradient: stop, or skip that update.
      max_nan_skips: --on_nan=skip: stop after this many skipped updates.
      deterministic: Deterministic ops: a resumed run ends with the same
        weights.
      mixed_precision: Reduced-precision compute (float32 variables and
        network ends): see ``mixed_dtype``.
      mixed_dtype: --mixed_precision's compute type: float16 with dynamic
        loss scaling (GPUs), or bfloat16, which needs none (float32's
        exponent range): CPUs with AVX-512 BF16 or AMX, and TPUs.
      strategy: default | mirrored (this machine's GPUs) | multi_worker
        (TF_CONFIG) | tpu.
      tpu: --strategy=tpu: TPU name or grpc:// address; default: this TPU
        VM's.
      sync_batchnorm: BatchNorm statistics over the global batch, not each
        replica's.
    """

    preset: str = "default"
    model_dir: str = "runs/default"
    batch_size: int = 64
    steps: int | None = None
    epochs: int | None = None
    seed: int = 0
    checkpoint_every: int = 500
    keep_checkpoints: int = 3
    log_every: int = 1
    sample_every: int = 0
    export: bool = True
    jit_compile: bool = False
    steps_per_execution: int = 1
    on_nan: str = "stop"
    max_nan_skips: int = 10
    deterministic: bool = False
    mixed_precision: bool = False
    mixed_dtype: str = "float16"
    strategy: str = "default"
    tpu: str | None = None
    sync_batchnorm: bool = False

    def __post_init__(self):
        errors = problems(self)
        if errors:
            raise ConfigError("invalid configuration:\n  " + "\n  ".join(errors))


def problems(run: RunConfig) -> list[str]:
    """Everything wrong with `run`, one message per field."""
    errors = []
    for name in ("batch_size", "checkpoint_every", "keep_checkpoints", "log_every", "steps_per_execution"):
        if getattr(run, name) < 1:
            errors.append(f"--{name} must be a positive integer, got {getattr(run, name)}")
    for name in ("steps", "epochs"):
        value = getattr(run, name)
        if value is not None and value < 1:
            errors.append(f"--{name} must be a positive integer, got {value}")
    if not 0 <= run.seed < 2**31:  # NumPy and TensorFlow seeds must be non-negative
        errors.append(f"--seed must be an integer in [0, 2**31), got {run.seed}")
    if run.on_nan not in ("stop", "skip"):
        errors.append(f"--on_nan={run.on_nan!r} is unknown; choose stop or skip")
    if run.mixed_dtype not in MIXED_DTYPES:
        errors.append(f"--mixed_dtype={run.mixed_dtype!r} is unknown; choose one of: {', '.join(MIXED_DTYPES)}")
    if run.max_nan_skips < 0:
        errors.append(f"--max_nan_skips must be >= 0, got {run.max_nan_skips}")
    if run.sample_every < 0:
        errors.append(f"--sample_every must be >= 0 (0: every epoch), got {run.sample_every}")
    if run.steps is not None and run.epochs is not None:
        errors.append("give --steps or --epochs, not both")
    if run.steps is None and run.epochs is None:
        errors.append("give --steps or --epochs")
    if run.strategy not in STRATEGIES:
        errors.append(f"--strategy={run.strategy!r} is unknown; choose one of: {', '.join(STRATEGIES)}")
    if run.tpu and run.strategy != "tpu":
        errors.append(f"--tpu={run.tpu} needs --strategy=tpu (now {run.strategy!r}); pass both or neither")
    if not run.model_dir:
        errors.append("--model_dir must not be empty")
    return errors
