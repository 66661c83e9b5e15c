"""Run by tests/translation/test_distribute.py in a fresh process: translation steps on one device and on 2 replicas.

TensorFlow fixes its logical devices when it first initialises them, so the
2 logical CPUs exist only in this process (as in tests/_mirrored_step.py,
the image GAN's check). For each case it builds one set of initial weights,
then trains `STEPS` steps from them with the default strategy and with a
MirroredStrategy over /cpu:0 and /cpu:1, both at global batch `BATCH` (2
images per replica) on the same data, and saves both runs to
``OUT/<case>.npz``: ``<run>/metric/<name>`` (the last logged values),
``<run>/weight/<i>`` (every variable of the networks, the image pools and
the EMA copies, in one order), ``<run>/step``, ``<run>/replica_spread`` (the
largest difference between two replicas' copies of any of those variables),
``<run>/networks`` (how many of the weights are the networks', the first ones),
``<run>/names`` (the variables' paths)
and ``<run>/init/<i>`` (the same variables before the first step).

Usage: python tests/translation/_mirrored_step.py OUT [CASE ...]
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import tensorflow as tf  # noqa: E402

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2
)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from tests.translation.helpers import tiny_params  # noqa: E402
from tfgan import distribute  # noqa: E402
from tfgan.augment import parse_policy  # noqa: E402
from tfgan.families.translation import build, trainer  # noqa: E402
from tfgan.families.translation.model import CycleGAN, Pix2Pix  # noqa: E402
from tfgan.run.config import RunConfig  # noqa: E402
from tfgan.run.family import SetupContext  # noqa: E402

BATCH, STEPS, SIZE, LR = 4, 2, 8, 0.01
# name: TranslationParams overrides. The model cases train with SGD: its update is
# proportional to the gradient, so a gradient summed over the replicas instead of
# averaged would show (Adam's would not). "trainer" is the model the CLI builds
# (trainer.setup: Adam with the schedule, distribute.prepare), fed the same
# in-memory batches: not the domains' stream itself, because under a strategy
# Keras' fit first draws one element from a fresh iterator of the dataset (its
# symbolic build, keras/src/backend/tensorflow/trainer.py `_maybe_symbolic_build`)
# and then trains from another one, and a stream shuffled with
# reshuffle_each_iteration starts its second iterator in another order: the
# replicas would train on other images than one device does.
CASES = {
    # Pool of exactly the global batch: step 1 fills it, step 2 swaps (coin flips, random slots).
    "cyclegan_pool": dict(pool_size=BATCH),
    # DiffAugment draws per-image parameters; EMA generators.
    "cyclegan_augment_ema": dict(pool_size=2 * BATCH, diffaugment="translation,cutout,color", ema_decay=0.5),
    "cyclegan_no_pool": dict(pool_size=0, lambda_identity=0.0),
    # Class-conditional Ds: the labels travel as the 4-tuple's last two, the pools keep each fake's label planes.
    "cyclegan_conditional": dict(pool_size=BATCH, class_conditional=True, num_classes=3),
    # U-Net dropout: every replica's rows of one global mask (tfgan.distribute.prepare).
    "pix2pix": dict(model="pix2pix", domain_a="pairs:unused", domain_b=""),
    "trainer": dict(domain_a="digits#class=1", domain_b="digits#class=7", pool_size=BATCH),
}


def data(params):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (2, STEPS * BATCH, SIZE, SIZE, 1)).astype(np.float32)
    element = {"a": x[0], "b": x[1]}
    if params.class_conditional:
        labels = rng.integers(0, params.num_classes, (2, STEPS * BATCH)).astype(np.int32)
        element.update(label_a=labels[0], label_b=labels[1])
    return tf.data.Dataset.from_tensor_slices(element).batch(BATCH)


def nets_of(model):
    return trainer.networks_of(model)


def state_of(model):
    """Every variable the runs compare: the networks', then pools and EMA copies (CycleGAN)."""
    variables = [v for net in nets_of(model) for v in net.variables]
    if isinstance(model, CycleGAN):
        variables += model.pool_a.variables + model.pool_b.variables
        if model.ema_g_ab is not None:
            variables += model.ema_g_ab.variables + model.ema_g_ba.variables
    elif model.ema_generator is not None:
        variables += model.ema_generator.variables
    return variables


def make_model(params, strategy, init):
    """A model of `params` built in `strategy`'s scope from the weights `init`, prepared as trainer.setup does."""
    with strategy.scope():
        nets = build.build_networks(params)
        if init is not None:
            for net, weights in zip(nets.values(), init, strict=True):
                net.set_weights(weights)
        policy = parse_policy(params.diffaugment)
        if params.model == "pix2pix":
            model = Pix2Pix(nets["generator"], nets["discriminator"], ema_decay=params.ema_decay, seed=0)
        else:
            model = CycleGAN(
                *nets.values(),
                image_shape=(SIZE, SIZE, 1),
                pool_size=params.pool_size,
                lambda_identity=params.lambda_identity,
                num_classes=build.class_planes(params),
                ema_decay=params.ema_decay,
                diffaugment=policy,
                seed=0,
            )
        model.compile(keras.optimizers.SGD(LR), keras.optimizers.SGD(LR))
        model.build_optimizers()
        distribute.prepare(nets_of(model), [model.g_optimizer, model.d_optimizer], strategy)
    return model, nets


def train(strategy, case, init):
    params = tiny_params(**CASES[case])
    keras.utils.set_random_seed(0)  # the same seed states (pools, augmentation, dropout) in both runs
    if case == "trainer":
        run = RunConfig(model_dir="unused", batch_size=BATCH, steps=STEPS, seed=1)
        with strategy.scope():
            t = trainer.setup(SetupContext(run=run, params=params, strategy=strategy, fresh=True))
        model, dataset = t.model, trainer.distributed(data(params), strategy)
        for net, weights in zip(nets_of(model), init, strict=True):
            net.set_weights(weights)
    else:
        model, _ = make_model(params, strategy, init)
        dataset = trainer.distributed(data(params), strategy)
    before = [np.asarray(v.numpy()) for v in state_of(model)]
    history = model.fit(dataset, steps_per_epoch=STEPS, epochs=1, verbose=0, shuffle=False).history
    metrics = {name: float(np.ravel(v[-1])[0]) for name, v in history.items()}
    variables = state_of(model)
    spread = 0.0
    for v in variables:
        copies = [np.asarray(c) for c in strategy.experimental_local_results(v.value)]
        spread = max([spread] + [float(np.abs(c.astype(np.float64) - copies[0]).max()) for c in copies])
    n_networks = sum(len(net.variables) for net in nets_of(model))
    names = [v.path for v in variables]
    weights = [np.asarray(v.numpy()) for v in variables]
    return metrics, before, weights, int(model.step.numpy()), spread, n_networks, names


def initial_weights(case):
    keras.utils.set_random_seed(0)
    params = tiny_params(**CASES[case])
    return [net.get_weights() for net in build.build_networks(params).values()]


def main(out, cases):
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert mirrored.num_replicas_in_sync == 2
    for case in cases:
        init = initial_weights(case)
        arrays = {}
        for name, strategy in (("one_device", tf.distribute.get_strategy()), ("mirrored", mirrored)):
            metrics, before, weights, step, spread, n_networks, names = train(strategy, case, init)
            arrays[f"{name}/networks"] = np.array(n_networks)
            arrays[f"{name}/names"] = np.array(names)
            arrays.update({f"{name}/init/{i}": w for i, w in enumerate(before)})
            arrays[f"{name}/step"] = np.array(step)
            arrays[f"{name}/replica_spread"] = np.array(spread)
            arrays.update({f"{name}/metric/{m}": np.array(v) for m, v in metrics.items()})
            arrays.update({f"{name}/weight/{i}": w for i, w in enumerate(weights)})
        np.savez(os.path.join(out, f"{case}.npz"), **arrays)
        print(f"done {case}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:] or list(CASES))
