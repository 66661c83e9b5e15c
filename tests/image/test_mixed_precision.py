"""--mixed_precision: float16 compute, float32 logits/losses, loss scaling for both players."""

from __future__ import annotations

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests._util import tiny_config
from tfgan import precision
from tfgan.errors import ConfigError
from tfgan.families.image import networks
from tfgan.families.image.model import GAN

SHAPE = (6, 6, 1)
LATENT = 4
BATCH = 8


def _data(seed=0, k=1):
    x = np.random.default_rng(seed).uniform(0.0, 1.0, (k, BATCH, *SHAPE)).astype(np.float32)
    return {"image": tf.constant(x), "label": tf.zeros((k, BATCH), tf.int32)}


def _gan(mixed, scaled=True, nets_like=None, growth=2000, d_steps=1, momentum=0.0):
    nets = networks.build("mlp", LATENT, SHAPE)
    if nets_like is not None:
        nets.generator.set_weights(nets_like.generator.get_weights())
        nets.discriminator.set_weights(nets_like.discriminator.get_weights())
    for layer in nets.discriminator.layers:  # same masks for both players' passes in every GAN
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = 0.0
    if mixed:
        precision.use_mixed_precision(nets.generator)
        precision.use_mixed_precision(nets.discriminator)
    gan = GAN(nets.generator, nets.discriminator, latent_dim=LATENT, noise=nets.noise, d_steps=d_steps, seed=1)
    opts = [keras.optimizers.SGD(0.1, momentum=momentum), keras.optimizers.SGD(0.1, momentum=momentum)]
    if scaled:
        opts = [keras.optimizers.LossScaleOptimizer(o, dynamic_growth_steps=growth) for o in opts]
    gan.compile(*opts)
    gan.build_optimizers()
    return gan, nets


def test_mixed_networks_compute_in_float16_with_float32_ends():
    nets = networks.build("mlp", LATENT, SHAPE)
    precision.use_mixed_precision(nets.generator)
    precision.use_mixed_precision(nets.discriminator)
    # mlp's G ends Dense(sigmoid) -> Reshape: both stay float32.
    assert [layer.compute_dtype for layer in nets.generator.layers] == ["float16", "float16", "float32", "float32"]
    assert nets.discriminator.layers[-1].compute_dtype == "float32"
    assert nets.discriminator.layers[-2].compute_dtype == "float16"
    assert all(v.dtype == "float32" for v in nets.generator.weights + nets.discriminator.weights)
    images = nets.generator(tf.zeros((2, LATENT)), training=True)
    logits = nets.discriminator(images, training=True)
    assert images.dtype == tf.float32 and logits.dtype == tf.float32


def test_loss_scaling_changes_nothing_when_gradients_are_finite():
    """Scaled losses, unscaled gradients: the same update and logged norms as without scaling."""
    plain, nets = _gan(mixed=False, scaled=False)
    scaled, _ = _gan(mixed=False, scaled=True, nets_like=nets)
    data = _data()
    logs = [{k: float(v) for k, v in tf.function(g.train_step)(data).items()} for g in (plain, scaled)]
    for name in logs[0]:
        np.testing.assert_allclose(logs[1][name], logs[0][name], rtol=1e-5, atol=1e-7, err_msg=name)
    for a, b in zip(plain.get_weights(), scaled.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-7)
    assert float(scaled.d_optimizer.dynamic_scale) == float(scaled.g_optimizer.dynamic_scale) == 2.0**15


def _state(gan):
    """Every weight and optimiser variable of both players, as arrays."""
    return [np.array(v) for v in gan.generator.variables + gan.discriminator.variables] + [
        np.array(v) for o in (gan.d_optimizer, gan.g_optimizer) for v in o.inner_optimizer.variables
    ]


@pytest.mark.parametrize("overflowing,d_steps", [("d", 1), ("g", 1), ("g", 2)])
def test_a_step_whose_scaled_gradients_overflow_is_skipped_by_both_players(overflowing, d_steps):
    """In float16 a huge scale overflows one player's backward pass: the whole step is undone, both scales halve.

    When G overflows, D's updates were applied before G's loss existed (k of
    them): they must be undone, slots and iterations included.
    """
    gan, _ = _gan(mixed=True, d_steps=d_steps, momentum=0.9)
    bad = gan.d_optimizer if overflowing == "d" else gan.g_optimizer
    good = gan.g_optimizer if overflowing == "d" else gan.d_optimizer
    bad.dynamic_scale.assign(2.0**40)  # float16 holds at most 65504
    good.dynamic_scale.assign(1.0)
    for o in (bad, good):
        o.step_counter.assign(5)
    step = tf.function(gan.train_step)
    before = _state(gan)
    logs = step(_data(k=d_steps))
    after = _state(gan)
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(b, a)
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 0
    assert float(bad.dynamic_scale) == 2.0**39 and float(good.dynamic_scale) == 0.5
    assert int(bad.step_counter) == int(good.step_counter) == 0
    assert int(gan.step) == 1 and int(gan.skipped_updates) == 0 and int(gan.nonfinite) == 0  # not a NaN event
    assert np.isfinite(float(logs["d_loss"])) and np.isfinite(float(logs["g_loss"]))
    # With scales float16 can hold, the next step is applied by both players.
    for o in (bad, good):
        o.dynamic_scale.assign(1.0)
    step(_data(seed=1, k=d_steps))
    assert int(gan.d_optimizer.iterations) == d_steps and int(gan.g_optimizer.iterations) == 1
    assert float(bad.dynamic_scale) == float(good.dynamic_scale) == 1.0
    assert int(bad.step_counter) == 1


def test_scale_doubles_after_a_run_of_finite_updates():
    gan, _ = _gan(mixed=True, growth=2)
    step = tf.function(gan.train_step)
    for _ in range(2):
        step(_data())
    assert float(gan.d_optimizer.dynamic_scale) == float(gan.g_optimizer.dynamic_scale) == 2.0**16


def test_mixed_precision_run_trains_exports_and_resumes(tmp_path):
    from tfgan import training

    config = tiny_config(tmp_path / "run", mixed_precision=True, steps=2, checkpoint_every=1)
    result = training.train(config, verbose=0)
    assert result.step == 2 and np.isfinite(result.logs["d_loss"]) and np.isfinite(result.logs["g_loss"])
    assert os.path.exists(os.path.join(result.export_dir, "saved_model.pb"))
    assert json.load(open(tmp_path / "run" / "config.json"))["mixed_precision"] is True
    resumed = training.train(tiny_config(tmp_path / "run", mixed_precision=True, steps=3), verbose=0)
    assert resumed.step == 3
    with pytest.raises(ConfigError, match="mixed_precision"):
        training.train(tiny_config(tmp_path / "run", steps=4), verbose=0)


def test_bfloat16_networks_compute_in_bfloat16_and_their_optimisers_do_not_scale_losses():
    nets = networks.build("mlp", LATENT, SHAPE)
    with precision.computing_in("bfloat16"):
        precision.use_mixed_precision(nets.generator)
        optimizer = precision.loss_scaled(keras.optimizers.SGD(0.1))
    assert [layer.compute_dtype for layer in nets.generator.layers] == ["bfloat16", "bfloat16", "float32", "float32"]
    assert not precision.scales_losses(optimizer)  # float32's exponent range: nothing underflows to scale against
    assert precision.policy() == "mixed_float16"  # the context ended
    assert precision.scales_losses(precision.loss_scaled(keras.optimizers.SGD(0.1)))


def test_bfloat16_run_trains_in_bfloat16_exports_float32_and_refuses_a_switch_at_resume(tmp_path):
    from tfgan import training

    config = tiny_config(tmp_path / "run", mixed_precision=True, mixed_dtype="bfloat16", steps=2)
    built, trainer, _ = training.build(config)
    gan = trainer.model
    assert gan.generator.layers[0].compute_dtype == "bfloat16"
    assert not precision.scales_losses(gan.d_optimizer) and not precision.scales_losses(gan.g_optimizer)
    result = training.train(config, verbose=0)
    assert result.step == 2 and np.isfinite(result.logs["d_loss"]) and np.isfinite(result.logs["g_loss"])
    assert json.load(open(tmp_path / "run" / "config.json"))["mixed_dtype"] == "bfloat16"
    images = tf.saved_model.load(result.export_dir).signatures["serving_default"](
        z=tf.zeros((2, built.params.latent_dim))
    )
    assert all(np.all(np.isfinite(np.asarray(v, np.float64))) for v in images.values())
    with pytest.raises(ConfigError, match="mixed_dtype"):
        training.train(tiny_config(tmp_path / "run", mixed_precision=True, steps=3), verbose=0)


def test_an_unknown_mixed_dtype_is_refused_naming_the_choices(tmp_path):
    with pytest.raises(ConfigError, match="mixed_dtype='int8'.*float16, bfloat16"):
        tiny_config(tmp_path / "run", mixed_precision=True, mixed_dtype="int8")
