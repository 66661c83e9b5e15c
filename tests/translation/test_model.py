import numpy as np
import tensorflow as tf

from tests.translation.helpers import batch, changed, tiny_cyclegan, tiny_pix2pix, values
from tfgan.families.translation.model import CYCLEGAN_METRICS, PIX2PIX_METRICS


def _vars(*models):
    return [v for m in models for v in m.trainable_variables]


def test_generator_step_changes_both_generators_and_no_discriminator():
    model = tiny_cyclegan()
    data = batch()
    g, d = _vars(model.g_ab, model.g_ba), _vars(model.d_a, model.d_b)
    g0, d0 = values(g), values(d)
    ab0, ba0 = values(model.g_ab.trainable_variables), values(model.g_ba.trainable_variables)
    model.generator_step(tf.constant(data["a"]), tf.constant(data["b"]))
    assert changed(ab0, model.g_ab.trainable_variables) and changed(ba0, model.g_ba.trainable_variables)
    assert not changed(d0, d)
    assert changed(g0, g)


def test_discriminator_step_changes_both_discriminators_and_no_generator():
    model = tiny_cyclegan()
    data = batch()
    g = _vars(model.g_ab, model.g_ba)
    g0 = values(g)
    a0, b0 = values(model.d_a.trainable_variables), values(model.d_b.trainable_variables)
    fake = tf.constant(batch(seed=1)["a"])
    model.discriminator_step(tf.constant(data["a"]), tf.constant(data["b"]), fake, fake)
    assert changed(a0, model.d_a.trainable_variables) and changed(b0, model.d_b.trainable_variables)
    assert not changed(g0, g)


def test_discriminator_step_feeds_the_pools():
    model = tiny_cyclegan(pool_size=4)
    data = batch(n=2)
    fake = tf.constant(batch(seed=3)["a"])
    model.discriminator_step(tf.constant(data["a"]), tf.constant(data["b"]), fake, fake)
    assert int(model.pool_a.count.numpy()) == 2 and int(model.pool_b.count.numpy()) == 2
    np.testing.assert_array_equal(model.pool_a.images.numpy()[:2], fake.numpy())


def test_class_conditional_d_judges_each_translation_with_its_sources_label():
    model = tiny_cyclegan(class_conditional=True, num_classes=3, pool_size=4)
    data = batch(n=2)
    a, b = tf.constant(data["a"]), tf.constant(data["b"])
    label_a, label_b = tf.constant([2, 0]), tf.constant([1, 1])
    fake_a, fake_b, _ = model.generator_step(a, b, label_a, label_b)
    assert fake_b.shape == (2, 8, 8, 1 + 3)
    np.testing.assert_array_equal(fake_b[:, :, :, 1:].numpy(), np.eye(3)[[2, 0]][:, None, None, :] * np.ones((8, 8, 1)))
    np.testing.assert_array_equal(fake_a[:, 3, 5, 1:].numpy(), np.eye(3)[[1, 1]])
    model.discriminator_step(a, b, fake_a, fake_b, label_a, label_b)
    np.testing.assert_array_equal(model.pool_b.images.numpy()[:2], fake_b.numpy())  # the label stays with its fake
    # D's verdict on the same image depends on the class it is said to be.
    d_input = model._d_input
    scores = [model.d_b(d_input(b, tf.constant([k, k]))).numpy() for k in range(3)]
    assert not np.allclose(scores[0], scores[1]) and not np.allclose(scores[1], scores[2])
    history = model.fit(
        tf.data.Dataset.from_tensors({**data, "label_a": label_a, "label_b": label_b}).repeat(),
        steps_per_epoch=2,
        epochs=1,
        verbose=0,
    )
    assert int(model.step.numpy()) == 2 and np.isfinite(history.history["d_loss"][-1])


def test_cyclegan_fit_counts_steps_and_logs_every_loss():
    model = tiny_cyclegan()
    data = tf.data.Dataset.from_tensors(batch()).repeat()
    history = model.fit(data, steps_per_epoch=2, epochs=1, verbose=0)
    assert int(model.step.numpy()) == 2
    assert set(CYCLEGAN_METRICS) <= set(history.history)
    assert all(np.isfinite(history.history[name][-1]) for name in CYCLEGAN_METRICS)
    assert int(model.skipped_updates.numpy()) == 0


def test_cycle_noise_perturbs_only_the_reconstructions_input():
    data = batch()
    a, b = tf.constant(data["a"]), tf.constant(data["b"])
    plain, noisy = tiny_cyclegan(), tiny_cyclegan(cycle_noise=0.5)
    assert plain.noise_seed is None
    plain.generator_step(a, b)
    fake_a, fake_b, _ = noisy.generator_step(a, b)
    result = {name: float(t.result()) for name, t in noisy.trackers.items()}
    expected = {name: float(t.result()) for name, t in plain.trackers.items()}
    # The same weights before the step: the translations and identity terms agree, the cycle terms do not.
    for name in ("adv_ab", "adv_ba", "identity_a", "identity_b"):
        np.testing.assert_allclose(result[name], expected[name], rtol=1e-6)
    assert abs(result["cycle_a"] - expected["cycle_a"]) > 1e-4 and abs(result["cycle_b"] - expected["cycle_b"]) > 1e-4
    shift = noisy._noisy(fake_b) - fake_b
    assert abs(float(tf.math.reduce_std(shift)) - 0.5) < 0.15 and abs(float(tf.reduce_mean(shift))) < 0.15


def test_identity_off_logs_zero_identity_loss():
    model = tiny_cyclegan(lambda_identity=0.0)
    history = model.fit(tf.data.Dataset.from_tensors(batch()).repeat(), steps_per_epoch=1, epochs=1, verbose=0)
    assert history.history["identity_a"][-1] == 0.0 and history.history["cycle_a"][-1] > 0.0


def test_a_nan_batch_updates_nothing_and_is_flagged():
    model = tiny_cyclegan()
    data = batch()
    data["a"][0, 0, 0, 0] = np.nan
    g, d = _vars(model.g_ab, model.g_ba), _vars(model.d_a, model.d_b)
    g0, d0 = values(g), values(d)
    model.fit(tf.data.Dataset.from_tensors(data), steps_per_epoch=1, epochs=1, verbose=0)
    assert not changed(g0, g) and not changed(d0, d)
    assert int(model.nonfinite.numpy()) & 1 and int(model.skipped_updates.numpy()) == 2


def test_ema_generators_follow_slowly():
    model = tiny_cyclegan(ema_decay=0.5)
    before = values(model.ema_g_ab.trainable_variables)
    model.fit(tf.data.Dataset.from_tensors(batch()).repeat(), steps_per_epoch=1, epochs=1, verbose=0)
    after, live = values(model.ema_g_ab.trainable_variables), values(model.g_ab.trainable_variables)
    # One update with decay 1/2: the average lies halfway between the old and the new weights.
    for b, a, w in zip(before, after, live, strict=True):
        np.testing.assert_allclose(a, 0.5 * b + 0.5 * w, atol=1e-6)
    assert model.generators[0] is model.ema_g_ab


def test_pix2pix_step_trains_both_and_logs():
    model = tiny_pix2pix()
    g0, d0 = values(model.generator.trainable_variables), values(model.discriminator.trainable_variables)
    history = model.fit(tf.data.Dataset.from_tensors(batch()).repeat(), steps_per_epoch=2, epochs=1, verbose=0)
    assert changed(g0, model.generator.trainable_variables)
    assert changed(d0, model.discriminator.trainable_variables)
    assert set(PIX2PIX_METRICS) <= set(history.history)
    assert history.history["l1"][-1] > 0 and int(model.step.numpy()) == 2


def test_learning_rate_is_constant_then_decays_linearly_to_zero():
    from tfgan.families.translation.build import ConstantThenLinearDecay

    schedule = ConstantThenLinearDecay(2e-4, total_steps=100, decay_steps=40)
    rates = [float(schedule(s)) for s in (0, 59, 60, 80, 100, 120)]
    np.testing.assert_allclose(rates, [2e-4, 2e-4, 2e-4, 1e-4, 0.0, 0.0], rtol=1e-6, atol=1e-12)
