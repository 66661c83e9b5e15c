import keras
import numpy as np
import pytest
import tensorflow as tf

import pipelines
from tfgan.families.image import networks
from tfgan.families.image.model import GAN, METRIC_NAMES
from tfgan.optimizers import ExponentialDecayFloor, paper_sgd

SHAPE = (8, 8, 1)


def make_gan(d_steps=1, model="dcgan", seed=0, loss="non_saturating", cls=GAN):
    keras.utils.set_random_seed(seed)
    nets = networks.build(model, 16, SHAPE)
    gan = cls(nets.generator, nets.discriminator, latent_dim=16, noise=nets.noise, d_steps=d_steps, seed=seed)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3), loss=loss)
    # As training does: lazily built slots would add a variable-lifting trace.
    gan.build_optimizers()
    return gan


def values(variables):
    return [np.array(v.numpy()) for v in variables]


def weights(model):
    """Trainable weights and BatchNorm statistics: everything but RNG states."""
    return values([v for v in model.variables if "seed_generator" not in v.path])


def changed(before, after):
    return [not np.array_equal(a, b) for a, b in zip(before, after, strict=True)]


def real_batch(n=8, fill=0.5):
    return tf.fill([n, *SHAPE], fill)


def test_d_step_changes_d_and_not_g():
    gan = make_gan()
    d0, g0 = values(gan.discriminator.trainable_variables), values(gan.generator.trainable_variables)
    gan._d_step(real_batch())
    assert all(changed(d0, values(gan.discriminator.trainable_variables)))
    assert not any(changed(g0, values(gan.generator.trainable_variables)))


def test_g_step_changes_g_and_not_d():
    gan = make_gan()
    d0, g0 = weights(gan.discriminator), values(gan.generator.trainable_variables)
    gan._g_step(8)
    assert all(changed(g0, values(gan.generator.trainable_variables)))
    assert not any(changed(d0, weights(gan.discriminator)))


class RecordingGAN(GAN):
    """Records the real minibatch each D step receives (eager mode only)."""

    def _d_step(self, real):
        self.seen.append(np.array(real))
        return super()._d_step(real)

    def _g_step(self, batch_size, **kwargs):
        self.order.append(("g", len(self.seen)))
        return super()._g_step(batch_size, **kwargs)


def test_k_d_steps_use_k_distinct_minibatches_then_one_g_step():
    gan = make_gan(d_steps=3, cls=RecordingGAN)
    gan.seen, gan.order = [], []
    source = pipelines.open_source("digits")
    element = next(iter(pipelines.make_train_dataset(source, 8, seed=0, group=3)))
    logs = gan.train_step(element)
    assert len(gan.seen) == 3 and gan.order == [("g", 3)]
    for i in range(3):
        np.testing.assert_array_equal(gan.seen[i], element["image"][i].numpy())
    assert not np.array_equal(gan.seen[0], gan.seen[1]) and not np.array_equal(gan.seen[1], gan.seen[2])
    assert set(logs) == set(METRIC_NAMES)
    assert int(gan.step.numpy()) == 1
    assert int(gan.d_optimizer.iterations.numpy()) == 3 and int(gan.g_optimizer.iterations.numpy()) == 1


class CountingGAN(GAN):
    traces = 0

    def train_step(self, data):
        CountingGAN.traces += 1  # Python side effect: runs once per trace
        return super().train_step(data)


def test_fit_traces_the_k_step_once():
    gan = make_gan(d_steps=2, cls=CountingGAN)
    ds = pipelines.make_train_dataset(pipelines.open_source("digits"), 8, seed=0, group=2)
    history = gan.fit(ds, steps_per_epoch=3, epochs=2, verbose=0, shuffle=False)
    assert CountingGAN.traces == 1
    assert int(gan.step.numpy()) == 6 and int(gan.d_optimizer.iterations.numpy()) == 12
    for name in ("d_loss", "g_loss", "d_real", "d_fake", "value", "d_grad_norm", "g_grad_norm"):
        assert np.all(np.isfinite(history.history[name]))
    # D's outputs are probabilities; the value function is -d_loss for these losses.
    assert 0 < history.history["d_real"][-1] < 1
    assert history.history["value"][-1] == pytest.approx(-history.history["d_loss"][-1], rel=1e-5)


def test_noise_is_fresh_each_draw_and_seeded():
    a, b = make_gan(seed=3), make_gan(seed=3)
    z1, z2 = a.sample_latent(4), a.sample_latent(4)
    assert not np.allclose(z1, z2)
    np.testing.assert_array_equal(z1, b.sample_latent(4))


def test_uniform_noise_has_unit_variance_on_sqrt3_interval():
    z = networks.sample_noise("uniform", (20000, 10), seed=1).numpy()
    assert z.min() >= -np.sqrt(3) and z.max() <= np.sqrt(3)
    assert z.var() == pytest.approx(1.0, abs=0.03)


def test_d_steps_must_be_positive():
    nets = networks.build("dcgan", 16, SHAPE)
    with pytest.raises(ValueError, match="d_steps"):
        GAN(nets.generator, nets.discriminator, latent_dim=16, d_steps=0)


def test_paper_optimizer_schedules():
    lr = ExponentialDecayFloor(0.1)
    assert float(lr(0)) == pytest.approx(0.1)
    assert float(lr(1000)) == pytest.approx(0.1 / 1.000004**1000, rel=1e-5)
    assert float(lr(10**8)) == pytest.approx(1e-6)
    opt = paper_sgd(0.1, ramp_steps=100)
    var = keras.Variable(np.ones([3], np.float32))
    opt.build([var])
    assert float(opt.current_momentum()) == pytest.approx(0.5)
    opt.iterations.assign(50)
    assert float(opt.current_momentum()) == pytest.approx(0.6)
    opt.iterations.assign(1000)
    assert float(opt.current_momentum()) == pytest.approx(0.7)


def test_paper_sgd_update_matches_momentum_rule_by_hand():
    opt = paper_sgd(0.1, ramp_steps=100)
    var = keras.Variable(np.zeros([2], np.float32))
    grad = tf.constant([1.0, -2.0])
    opt.apply([grad], [var])  # v1 = -lr0 g ; p1 = v1
    v1 = -0.1 * grad.numpy()
    np.testing.assert_allclose(var.numpy(), v1, rtol=1e-6)
    opt.apply([grad], [var])  # v2 = m(1) v1 - lr(1) g
    m1, lr1 = 0.5 + 0.2 * 1 / 100, 0.1 / 1.000004
    np.testing.assert_allclose(var.numpy(), v1 + (m1 * v1 - lr1 * grad.numpy()), rtol=1e-5)
