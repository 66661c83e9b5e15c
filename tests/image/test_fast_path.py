"""The fast train step (one fused D pass, `tfgan.convolution`) computes what the plain one does."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests._util import tiny_config
from tfgan import convolution
from tfgan.families.image import networks
from tfgan.families.image.model import GAN, can_fuse, fuses_by_default

SHAPES = {"dcgan": (16, 16, 1), "mlp": (6, 6, 1)}  # dcgan: two stride-2 layers each in G and D
LATENT = 4
BATCH = 8


def _no_dropout(model):
    """Dropout off while training=True: one fused mask and two separate ones then agree (both absent)."""
    for layer in model._flatten_layers():
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = 0.0


def _keras_convolutions(model):
    """tfgan.convolution's layers computed as Keras' own; returns how many were switched."""
    switched = 0
    for layer in model._flatten_layers():
        if isinstance(layer, convolution.Conv2D | convolution.Conv2DTranspose):
            switched += bool(layer._fast(layer.input.shape) if isinstance(layer, convolution.Conv2D) else layer._fast())
            layer._fast = lambda *shape: False
    return switched


def _gan(model, fuse, nets_like=None, keras_convs=False):
    nets = networks.build(model, LATENT, SHAPES[model])
    if nets_like is not None:
        nets.generator.set_weights(nets_like.generator.get_weights())
        nets.discriminator.set_weights(nets_like.discriminator.get_weights())
    _no_dropout(nets.discriminator)
    if keras_convs:
        switched = _keras_convolutions(nets.generator) + _keras_convolutions(nets.discriminator)
        # Not vacuous: dcgan's G has two fast layers (strides 1 and 2) and its D one.
        assert switched == (3 if model == "dcgan" and convolution.cpu_only() else 0)
    gan = GAN(nets.generator, nets.discriminator, latent_dim=LATENT, noise=nets.noise, seed=3, fuse_discriminator=fuse)
    # SGD: the update is linear in the gradient, so equal gradients give equal weights.
    gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
    return gan, nets


def _data(model, k=1, seed=0):
    low = -1.0 if model == "dcgan" else 0.0
    x = np.random.default_rng(seed).uniform(low, 1.0, (k, BATCH, *SHAPES[model])).astype(np.float32)
    return {"image": tf.constant(x), "label": tf.zeros((k, BATCH), tf.int32)}


@pytest.mark.parametrize("model", ["dcgan", "mlp"])
def test_fused_discriminator_pass_gives_the_same_loss_and_gradients(model):
    plain, nets = _gan(model, fuse=False)
    fused, _ = _gan(model, fuse=True, nets_like=nets)
    real = _data(model)["image"][0]
    fake = plain.generator(plain.sample_latent(BATCH), training=True)
    results = []
    for gan in (plain, fused):
        with tf.GradientTape() as tape:
            real_logits, fake_logits = gan._discriminate(real, fake)
            loss = gan.d_loss_fn(real_logits, fake_logits)
        grads = tape.gradient(loss, gan.discriminator.trainable_variables)
        results.append((real_logits, fake_logits, loss, grads))
    (r0, f0, l0, g0), (r1, f1, l1, g1) = results
    np.testing.assert_allclose(r1, r0, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(f1, f0, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(l1, l0, rtol=1e-5)
    assert len(g0) == len(g1) > 0
    for a, b in zip(g0, g1, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)
    # Not vacuous: the two halves really are different images with different logits.
    assert not np.allclose(r0, f0)


@pytest.mark.parametrize("model,k", [("dcgan", 1), ("mlp", 2)])
def test_fast_train_step_equals_plain_train_step(model, k):
    """Same weights, same noise stream, same data: same metrics and same updated weights.

    Plain: two D passes and Keras' convolution layers; fast: the defaults.
    (The convolutions' second derivatives, which the gradient penalties use,
    are checked layer by layer in test_networks.)
    """
    plain, nets = _gan(model, fuse=False, keras_convs=True)
    plain.d_steps = k
    fused, _ = _gan(model, fuse=True, nets_like=nets)
    fused.d_steps = k
    data = _data(model, k)
    before = [w.copy() for w in nets.discriminator.get_weights()]
    logs = []
    for gan in (plain, fused):
        step = tf.function(gan.train_step)
        logs.append({name: float(v) for name, v in step(data).items()})
    assert logs[0].keys() == logs[1].keys()
    for name in logs[0]:
        np.testing.assert_allclose(logs[1][name], logs[0][name], rtol=1e-4, atol=1e-6, err_msg=name)
    for a, b in zip(plain.discriminator.get_weights(), fused.discriminator.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)
    for a, b in zip(plain.generator.get_weights(), fused.generator.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)
    assert any(not np.allclose(a, b) for a, b in zip(before, fused.discriminator.get_weights(), strict=True))


def test_fusion_is_automatic_only_without_batchnorm_or_convolutions():
    for model in SHAPES:
        assert can_fuse(networks.build(model, LATENT, SHAPES[model]).discriminator)
    with_bn = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.BatchNormalization()])
    assert not can_fuse(with_bn)
    nets = networks.build("mlp", LATENT, SHAPES["mlp"])
    assert not GAN(nets.generator, with_bn, latent_dim=LATENT).fuse_discriminator
    assert GAN(nets.generator, nets.discriminator, latent_dim=LATENT).fuse_discriminator
    # Convolutional D: two passes were measured faster, also when spectrally normalised or conditional.
    for kwargs in ({}, {"spectral_norm": True}, {"num_classes": 3}):
        nets = networks.build("dcgan", LATENT, SHAPES["dcgan"], **kwargs)
        assert can_fuse(nets.discriminator)
        assert not fuses_by_default(nets.discriminator)
    assert not GAN(nets.generator, nets.discriminator, latent_dim=LATENT, num_classes=3).fuse_discriminator


def test_default_run_uses_the_fastest_measured_path(tmp_path):
    """What `tfgan.train` builds by default: two D passes for dcgan, no XLA (slower on CPU; README, Performance)."""
    from tfgan import training

    config = tiny_config(tmp_path / "run")
    assert config.jit_compile is False and config.steps_per_execution == 1 and not config.mixed_precision
    gan = training.build(config)[1].model
    assert config.model == "dcgan" and not gan.fuse_discriminator
