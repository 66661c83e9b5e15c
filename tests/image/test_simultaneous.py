"""--update=simultaneous: one step equals the TensorFlow DCGAN tutorial's loop on the same weights and inputs."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan.errors import ConfigError
from tfgan.families.image import networks
from tfgan.families.image.model import GAN
from tfgan.families.image.params import ImageParams

SHAPE = (8, 8, 1)
LATENT = 16


def _nets():
    keras.utils.set_random_seed(3)
    nets = networks.build("dcgan", LATENT, SHAPE)
    for layer in nets.discriminator._flatten_layers():
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = 0.0  # the two loops draw their masks differently; the update rule is what is compared
    return nets


def _tutorial_step(generator, discriminator, images, noise, g_opt, d_opt):
    """The TF DCGAN tutorial's train_step (tensorflow.org/tutorials/generative/dcgan), verbatim in substance."""
    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
    with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
        generated_images = generator(noise, training=True)
        real_output = discriminator(images, training=True)
        fake_output = discriminator(generated_images, training=True)
        gen_loss = cross_entropy(tf.ones_like(fake_output), fake_output)
        disc_loss = cross_entropy(tf.ones_like(real_output), real_output) + cross_entropy(
            tf.zeros_like(fake_output), fake_output
        )
    gradients_of_generator = gen_tape.gradient(gen_loss, generator.trainable_variables)
    gradients_of_discriminator = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
    g_opt.apply_gradients(zip(gradients_of_generator, generator.trainable_variables, strict=True))
    d_opt.apply_gradients(zip(gradients_of_discriminator, discriminator.trainable_variables, strict=True))


def _state(gan):
    return [v.numpy().copy() for v in gan.generator.variables + gan.discriminator.variables]


@pytest.mark.parametrize("fuse", [False, True])
def test_one_simultaneous_step_equals_the_tutorial_loop(fuse):
    nets = _nets()
    gan = GAN(
        nets.generator, nets.discriminator, latent_dim=LATENT, seed=0, update="simultaneous", fuse_discriminator=fuse
    )
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    gan.build_optimizers()
    rng = np.random.default_rng(0)
    images = tf.constant(rng.uniform(-1, 1, (8, *SHAPE)), tf.float32)
    noise = tf.constant(rng.normal(size=(8, LATENT)), tf.float32)
    gan.sample_latent = lambda n: noise  # both loops see the same z
    start = _state(gan)

    _tutorial_step(
        gan.generator, gan.discriminator, images, noise, keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3)
    )
    tutorial = _state(gan)
    for v, value in zip(gan.generator.variables + gan.discriminator.variables, start, strict=True):
        v.assign(value)

    gan.train_step({"image": images[None], "label": tf.zeros([1, 8], tf.int32)})
    ours = _state(gan)
    assert any(not np.allclose(a, b) for a, b in zip(start, ours, strict=True))  # the step moved both players
    for a, b in zip(tutorial, ours, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)


def test_simultaneous_takes_both_gradients_before_either_update():
    """D's new weights must not reach G's gradient: G's update equals one from the old D."""
    nets = _nets()
    gan = GAN(nets.generator, nets.discriminator, latent_dim=LATENT, seed=0, update="simultaneous")
    # SGD: G's step is -lr * grad, so G's change reveals which D its gradient saw.
    gan.compile(d_optimizer=keras.optimizers.SGD(1.0), g_optimizer=keras.optimizers.SGD(0.1))
    gan.build_optimizers()
    images = tf.zeros((8, *SHAPE))
    noise = tf.constant(np.random.default_rng(1).normal(size=(8, LATENT)), tf.float32)
    gan.sample_latent = lambda n: noise
    g0 = [v.numpy().copy() for v in gan.generator.trainable_variables]
    with tf.GradientTape() as tape:
        loss = gan.g_loss_fn(gan.discriminator(gan.generator(noise, training=True), training=True))
    expected = [
        w - 0.1 * g.numpy() for w, g in zip(g0, tape.gradient(loss, gan.generator.trainable_variables), strict=True)
    ]
    for v, w in zip(gan.generator.trainable_variables, g0, strict=True):
        v.assign(w)
    gan.train_step({"image": images[None], "label": tf.zeros([1, 8], tf.int32)})
    for v, e in zip(gan.generator.trainable_variables, expected, strict=True):
        np.testing.assert_allclose(v.numpy(), e, rtol=1e-4, atol=1e-6)


def test_simultaneous_needs_one_d_step():
    nets = _nets()
    with pytest.raises(ValueError, match="d_steps"):
        GAN(nets.generator, nets.discriminator, latent_dim=LATENT, d_steps=2, update="simultaneous")
    with pytest.raises(ConfigError, match="--update=simultaneous"):
        ImageParams(update="simultaneous", d_steps=5)
    with pytest.raises(ConfigError, match="--update='sometimes'"):
        ImageParams(update="sometimes")
