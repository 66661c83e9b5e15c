"""Training on many devices with `tf.distribute`: strategies and what a GAN step needs under them.

A run under a strategy (``--strategy``) is data parallel: every replica
holds a copy of G, D and both optimisers, gets ``batch_size / replicas`` of
each global minibatch, and the replicas' updates are kept identical. The
contract, which `tests/test_distribute.py` checks, is that one step with N
replicas computes what one step on one device computes with the same global
batch:

- Gradients are of the loss averaged over the *global* batch: each replica
  takes the gradient of its local mean and `all_mean` averages them (equal
  local batches), once per update. Keras 3's TensorFlow optimizer would sum
  gradients across replicas a second time inside ``apply``; `prepare`
  turns that off for a family's optimisers, so the NaN check, the logged
  gradient norm and the update all see the one global gradient.
- The noise of a global batch is drawn once (every replica makes the same
  draw from the same seed state) and each replica keeps its own slice, so
  the replicas never share z and the global batch's z equal one device's.
- Metrics are averaged over all replicas inside the step (`step_metrics`),
  not taken from one of them.
- Dropout masks are drawn the same way: each replica gets its own rows of
  one mask for all replicas' rows (the layers' seed state is replicated, so
  otherwise every replica would draw the same mask).
- BatchNormalization normalises with each replica's own batch statistics
  (Keras' default) unless ``sync_batchnorm``, which uses the global batch's;
  either way its moving statistics are averaged over the replicas after each
  step (`average_moving_statistics`), so every replica and worker holds the
  same weights, trainable or not.
"""

from __future__ import annotations

import json
import os

import keras
import tensorflow as tf
from keras import ops

from tfgan.errors import ConfigError

STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")


def make_strategy(name: str, tpu: str | None = None) -> tf.distribute.Strategy:
    """The `tf.distribute.Strategy` called `name`.

    Args:
      name: ``default`` (one device, TensorFlow's default strategy),
        ``mirrored`` (all GPUs of this machine; its CPU if it has none),
        ``multi_worker`` (the cluster in the ``TF_CONFIG`` environment
        variable), ``tpu`` (the Cloud TPU at `tpu`).
      tpu: TPU name or ``grpc://`` address; None or ``local`` for a TPU VM.

    Raises:
      ConfigError: Unknown name, or ``multi_worker`` without a usable
        ``TF_CONFIG``.
    """
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        _check_tf_config()
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu or "local")
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ConfigError(f"--strategy={name!r} is unknown; choose one of: {', '.join(STRATEGIES)}")


def _check_tf_config() -> None:
    text = os.environ.get("TF_CONFIG")
    fix = (
        'set TF_CONFIG on every worker, e.g. {"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
        '"task": {"type": "worker", "index": 0}} (see the README, "Several machines")'
    )
    if not text:
        raise ConfigError(f"--strategy=multi_worker needs the TF_CONFIG environment variable; {fix}")
    try:
        spec = json.loads(text)
        workers = spec["cluster"]["worker"]
        task = spec["task"]
        task["type"], int(task["index"])
    except (ValueError, KeyError, TypeError) as e:
        raise ConfigError(f"TF_CONFIG is not a valid cluster description ({e!r}); {fix}") from e
    if not isinstance(workers, list) or not workers:
        raise ConfigError(f"TF_CONFIG lists no workers; {fix}")


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes the run's files (checkpoints, logs, samples, export).

    One process per cluster: task 0 of the workers (or the ``chief`` task
    when the cluster has one); every single-process strategy's only process.
    """
    return bool(getattr(strategy.extended, "should_checkpoint", True))


def check_batch(batch_size: int, strategy: tf.distribute.Strategy) -> int:
    """The per-replica batch size for a global `batch_size`.

    Raises:
      ConfigError: If the global batch does not split evenly (equal local
        batches are what makes the average of the replicas' means the
        global mean).
    """
    n = strategy.num_replicas_in_sync
    if batch_size % n:
        lower, upper = batch_size // n * n, (batch_size // n + 1) * n
        raise ConfigError(
            f"--batch_size={batch_size} is the global batch and must split evenly over the {n} replicas; "
            f"use a multiple of {n}, e.g. --batch_size={upper}" + (f" or {lower}" if lower else "")
        )
    return batch_size // n


def is_distributed(strategy: tf.distribute.Strategy) -> bool:
    """Whether `strategy` runs more than one replica (one replica needs no special handling)."""
    return strategy.num_replicas_in_sync > 1


def prepare(networks, optimizers, strategy: tf.distribute.Strategy, *, sync_batchnorm: bool = False) -> None:
    """Sets up a model's networks and optimisers, built under ``strategy.scope()``, for training under it.

    Args:
      networks: The Keras models a train step calls (e.g. G and D).
      optimizers: The optimisers whose updates the train step applies with
        gradients it already averaged (`all_mean`).
      strategy: The strategy.
      sync_batchnorm: BatchNormalization layers normalise with the
        statistics of the global batch (``synchronized=True``, one
        all-reduce per layer) instead of each replica's.
    """
    if sync_batchnorm:
        for net in networks:
            for layer in net._flatten_layers():
                if isinstance(layer, keras.layers.BatchNormalization):
                    layer.synchronized = True
    if not is_distributed(strategy):
        return
    for net in networks:
        for layer in net._flatten_layers():
            if isinstance(layer, keras.layers.Dropout) and layer.noise_shape is None:
                _decorrelate(layer)
    for optimizer in optimizers:
        inner = getattr(optimizer, "inner_optimizer", optimizer)  # LossScaleOptimizer wraps one
        # Keras 3's TF optimizer sums the gradients over replicas in `apply`
        # (TFOptimizer._all_reduce_sum_gradients). The train steps reduce them
        # first (`all_mean`) because the finiteness check and the logged norm
        # need the global gradient; summing again would multiply it by N.
        inner._all_reduce_sum_gradients = _already_reduced


def shard_by_data(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """`dataset` with auto-sharding by data: every worker builds the same seeded stream and keeps its slices."""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def _already_reduced(grads_and_vars):
    return list(grads_and_vars)


def _decorrelate(dropout: keras.layers.Dropout) -> None:
    """Gives each replica its own rows of one global dropout mask.

    A Dropout layer's seed state is the same on every replica, so left alone
    every replica would draw the same mask for its i-th row. Instead each
    call draws the mask for all replicas' rows at once (as `replica_slice`
    does for z) and keeps this replica's.
    """
    plain_call = dropout.call

    def call(inputs, training=False):
        if not training or dropout.rate == 0 or _replica_context() is None:
            return plain_call(inputs, training=training)
        row_shape = tuple(ops.shape(inputs)[1:])

        def draw(n):
            ones = ops.ones((n, *row_shape), dtype=inputs.dtype)
            return keras.random.dropout(ones, dropout.rate, seed=dropout.seed_generator)

        return inputs * replica_slice(draw, ops.shape(inputs)[0])

    dropout.call = call


def _replica_context():
    """The replica context of a step running on more than one replica, else None."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return None
    return ctx


def all_mean(values):
    """The mean over all replicas of `values` (a structure of tensors); identity on one replica."""
    ctx = _replica_context()
    if ctx is None:
        return values
    flat = tf.nest.flatten(values)
    keep = [i for i, v in enumerate(flat) if v is not None]  # a variable D's loss does not reach
    reduced = ctx.all_reduce(tf.distribute.ReduceOp.MEAN, [flat[i] for i in keep])
    for i, v in zip(keep, reduced, strict=True):
        flat[i] = v
    return tf.nest.pack_sequence_as(values, flat)


def step_metrics(metrics: dict) -> dict:
    """A train step's metrics, averaged over all replicas (not one replica's).

    Keras reduces a step's outputs across replicas itself, but takes the
    first replica's on TPUs, and across several workers it reduces along
    axis 0, which a scalar lacks; so the mean is taken here and, across
    workers, each value gets that axis (of length 1).
    """
    metrics = all_mean(metrics)
    strategy = tf.distribute.get_strategy()
    multi_worker = getattr(strategy.extended, "_in_multi_worker_mode", lambda: False)()
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and multi_worker:
        metrics = {name: ops.reshape(value, (1,)) for name, value in metrics.items()}
    return metrics


def average_moving_statistics(*models) -> None:
    """Sets every float non-trainable variable (BatchNorm's moving mean and variance) to its replica mean.

    Keras 3 keeps such variables unsynchronised: each replica updates its
    own copy from its own batch, so without this the replicas' (and the
    workers') inference statistics drift apart and a checkpoint would hold
    the chief's alone. Averaged after every step, all copies stay equal: the
    moving mean is then that of the global batch's mean; the moving variance
    is the mean of the replicas' variances (with ``sync_batchnorm``, the
    global batch's, so this changes nothing). A few floats per channel.
    """
    ctx = _replica_context()
    if ctx is None:
        return
    variables = [v for model in models for v in model.non_trainable_variables if keras.backend.is_float_dtype(v.dtype)]
    if variables:
        for variable, mean in zip(variables, all_mean([tf.identity(v.value) for v in variables]), strict=True):
            variable.assign(mean)


def replica_slice(draw, local_batch):
    """This replica's rows of a global-batch draw: ``draw(n)`` for n = local_batch x replicas.

    Every replica makes the same draw (the same seed state), so the global
    batch holds the same rows as one device's ``draw(global batch)`` and no
    two replicas share a row.
    """
    ctx = _replica_context()
    if ctx is None:
        return draw(local_batch)
    n = ctx.num_replicas_in_sync
    rows = draw(local_batch * n)
    start = ops.cast(ctx.replica_id_in_sync_group, "int32") * local_batch
    return rows[start : start + local_batch]


def apply_if(ok, optimizer, grads, variables) -> None:
    """``optimizer.apply(grads, variables)`` if `ok` (the same on every replica)."""
    run_if(ok, optimizer.apply, grads, variables)


def run_if(ok, update, *args) -> None:
    """``update(*args)``, a function that updates variables, if `ok` (the same on every replica).

    A plain ``cond`` works without a strategy and wherever the strategy
    updates variables without a merge call (e.g. GPUs with XLA). Elsewhere
    an update such as ``optimizer.apply`` needs a merge call, which
    TensorFlow forbids inside a replica's ``cond``; there the ``cond`` runs
    in cross-replica context around the replicas' updates, as Keras'
    LossScaleOptimizer does. `args` (not a closure) carry the replicas'
    tensors, so each replica updates with its own.
    """
    if not tf.distribute.has_strategy() or tf.__internal__.distribute.strategy_supports_no_merge_call():
        ops.cond(ok, lambda: update(*args), lambda: None)
        return

    def cross_replica(strategy, ok, *args):
        # `ok` was computed from all-reduced values: every replica's is the same.
        first = strategy.experimental_local_results(ok)[0]

        def run():
            strategy.extended.call_for_each_replica(update, args=args)

        tf.cond(first, run, lambda: None)

    tf.distribute.get_replica_context().merge_call(cross_replica, args=(ok, *args))
