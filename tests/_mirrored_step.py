"""Run by tests/test_distribute.py in a fresh process: GAN steps on one device and on 2 replicas.

TensorFlow fixes its logical devices when it first initialises them, so the
2 logical CPUs exist only in this process. For each case it builds one set
of initial weights, trains `--steps` steps from them with the default
strategy and with a MirroredStrategy over /cpu:0 and /cpu:1 (same global
batch, same data), and saves both runs' last metrics and final weights to
``OUT/<case>.npz`` (keys ``<run>/metric/<name>``, ``<run>/weight/<i>``,
``<run>/step``, ``<run>/replica_spread``: the largest difference between
two replicas' copies of a variable; ``<run>/loss_scales``: D's and G's, 1.0
without loss scaling; and ``init/weight/<i>``), and each
replica's dropout mask to ``OUT/dropout.npz``.

Usage: python tests/_mirrored_step.py OUT
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tensorflow as tf  # noqa: E402

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2
)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from tfgan import precision  # noqa: E402
from tfgan.families.image import networks  # noqa: E402
from tfgan.families.image.model import GAN  # noqa: E402
from tfgan.families.image.replicas import distributed, prepare_gan  # noqa: E402

LATENT, BATCH, STEPS = 4, 8, 2
# name: (model, image shape, k, sync_batchnorm, mixed_precision)
CASES = {
    "mlp_k2": ("mlp", (6, 6, 1), 2, False, False),
    "dcgan_sync": ("dcgan", (8, 8, 1), 1, True, False),
    "dcgan_per_replica_bn": ("dcgan", (8, 8, 1), 1, False, False),
    "dcgan_sync_mixed": ("dcgan", (8, 8, 1), 1, True, True),
    # G's loss scale starts at 2**40: every step overflows in G's float16 backward pass.
    "dcgan_sync_mixed_overflow": ("dcgan", (8, 8, 1), 1, True, "overflow"),
}


def no_dropout(model):
    """Dropout off: replicas draw their masks as rows of one mask for the global batch, but
    the rows of D's fused real+fake batch are ordered differently on one device, so with
    dropout on the two runs would differ by their masks."""
    for layer in model._flatten_layers():
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = 0.0


def data(shape, k):
    x = np.random.default_rng(0).uniform(-1, 1, (STEPS, k, BATCH, *shape)).astype(np.float32)
    y = np.zeros((STEPS, k, BATCH), np.int32)
    return tf.data.Dataset.from_tensor_slices({"image": x, "label": y})


def train(strategy, case, init):
    model, shape, k, sync, mixed = CASES[case]
    with strategy.scope():
        nets = networks.build(model, LATENT, shape)
        if init is not None:
            nets.generator.set_weights(init[0])
            nets.discriminator.set_weights(init[1])
        no_dropout(nets.discriminator)
        optimizers = [keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1)]
        if mixed:  # as --mixed_precision: float16 layers, loss-scaled optimisers
            precision.use_mixed_precision(nets.generator)
            precision.use_mixed_precision(nets.discriminator)
            optimizers = [precision.loss_scaled(o) for o in optimizers]
            if mixed == "overflow":
                optimizers[1] = keras.optimizers.LossScaleOptimizer(
                    optimizers[1].inner_optimizer, initial_scale=2.0**40
                )
        gan = GAN(nets.generator, nets.discriminator, latent_dim=LATENT, noise=nets.noise, d_steps=k, seed=3)
        # SGD: the update is proportional to the gradient, so a gradient
        # summed instead of averaged over replicas would show (Adam would hide it).
        gan.compile(*optimizers)
        gan.build_optimizers()
        prepare_gan(gan, strategy, sync_batchnorm=sync)
    history = gan.fit(distributed(data(shape, k), strategy), epochs=1, verbose=0, shuffle=False)
    metrics = {name: float(np.ravel(v[-1])[0]) for name, v in history.history.items()}
    weights = nets.generator.get_weights() + nets.discriminator.get_weights()
    # How far the replicas' copies of any G/D variable (BatchNorm statistics included) are apart.
    spread = 0.0
    for v in nets.generator.variables + nets.discriminator.variables:
        copies = [np.asarray(c) for c in strategy.experimental_local_results(v.value)]
        spread = max([spread] + [float(np.abs(c.astype(np.float64) - copies[0]).max()) for c in copies])
    scales = [float(np.asarray(precision.loss_scale(o))) for o in (gan.d_optimizer, gan.g_optimizer)]
    return metrics, weights, int(gan.step.numpy()), spread, scales


def dropout_masks(out, strategy):
    """Each replica's output of D's first Dropout layer on ones, after `prepare_gan`: OUT/dropout.npz."""
    with strategy.scope():
        nets = networks.build("dcgan", LATENT, (8, 8, 1))
        gan = GAN(nets.generator, nets.discriminator, latent_dim=LATENT, noise=nets.noise, seed=3)
        gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
        prepare_gan(gan, strategy)
    layer = next(x for x in nets.discriminator._flatten_layers() if isinstance(x, keras.layers.Dropout))

    @tf.function
    def masks():
        return strategy.run(lambda: layer(tf.ones((64, 32)), training=True))

    replicas = [np.asarray(m) for m in strategy.experimental_local_results(masks())]
    np.savez(os.path.join(out, "dropout.npz"), replica0=replicas[0], replica1=replicas[1], rate=layer.rate)


def main(out):
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert mirrored.num_replicas_in_sync == 2
    dropout_masks(out, mirrored)
    for case, (model, shape, *_) in CASES.items():
        keras.utils.set_random_seed(0)
        init_nets = networks.build(model, LATENT, shape)
        init = (init_nets.generator.get_weights(), init_nets.discriminator.get_weights())
        arrays = {f"init/weight/{i}": w for i, w in enumerate(init[0] + init[1])}
        for name, strategy in (("one_device", tf.distribute.get_strategy()), ("mirrored", mirrored)):
            metrics, weights, step, spread, scales = train(strategy, case, init)
            arrays[f"{name}/step"] = np.array(step)
            arrays[f"{name}/loss_scales"] = np.array(scales)
            arrays[f"{name}/replica_spread"] = np.array(spread)
            arrays.update({f"{name}/metric/{m}": np.array(v) for m, v in metrics.items()})
            arrays.update({f"{name}/weight/{i}": w for i, w in enumerate(weights)})
        np.savez(os.path.join(out, f"{case}.npz"), **arrays)


if __name__ == "__main__":
    main(sys.argv[1])
