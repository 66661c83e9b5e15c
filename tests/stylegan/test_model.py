"""StyleGAN2's train_step: who each phase updates, style mixing, the lazy schedules, the path-length mean, EMA.

The steps run eagerly (no tf.function): the tiny networks need no tracing.
"""

import numpy as np
import pytest

from tests.stylegan.helpers import changed, real_batch, tiny_model, values
from tfgan.families.stylegan import model as model_lib


def test_style_mixing_in_the_model_switches_codes_at_the_chosen_layer():
    gan, _ = tiny_model(style_mixing=1.0)
    rng = np.random.default_rng(0)
    z1, z2 = rng.standard_normal((2, 3, 8)).astype("float32")
    crossover = np.array([1, 3, 5], "int32")
    ws, w1 = gan.mixed_ws(z1, z2, crossover, training=False)
    ws = np.asarray(ws)
    w1, w2 = np.asarray(gan.mapping(z1)), np.asarray(gan.mapping(z2))
    assert ws.shape == (3, gan.num_ws, 8) and gan.num_ws == 6
    for i, cut in enumerate(crossover):
        np.testing.assert_allclose(ws[i, :cut], np.broadcast_to(w1[i], (cut, 8)), rtol=1e-6)
        np.testing.assert_allclose(ws[i, cut:], np.broadcast_to(w2[i], (6 - cut, 8)), rtol=1e-6)


@pytest.mark.parametrize("probability", [1.0, 0.5])
def test_the_switch_layer_is_drawn_at_random(probability):
    gan, _ = tiny_model(style_mixing=probability)
    cuts = np.asarray(gan.draw_crossover(2000))
    mixed = cuts < gan.num_ws
    assert set(cuts[mixed].tolist()) == set(range(1, gan.num_ws))  # every layer from the second on
    assert abs(mixed.mean() - probability) < 0.05


def test_without_style_mixing_every_row_holds_one_code():
    gan, _ = tiny_model(style_mixing=0.0)
    ws, w = gan.sample_ws(3)
    np.testing.assert_allclose(np.asarray(ws), np.repeat(np.asarray(w)[:, None], gan.num_ws, axis=1))


def test_a_d_step_changes_d_and_not_g_and_a_g_step_changes_g_and_not_d():
    gan, _ = tiny_model(ema_decay=0.0)
    real = real_batch()["image"][0]
    g0, d0 = values(gan.g_variables), values(gan.discriminator.trainable_variables)
    gan.d_step(real)
    assert not any(changed(g0, values(gan.g_variables)))
    d_changed = changed(d0, values(gan.discriminator.trainable_variables))
    assert sum(d_changed) > len(d0) // 2
    d1 = values(gan.discriminator.trainable_variables)
    gan.g_step(4)
    assert not any(changed(d1, values(gan.discriminator.trainable_variables)))
    assert sum(changed(g0, values(gan.g_variables))) > len(g0) // 2


def test_lazy_r1_and_path_length_only_on_their_intervals():
    gan, _ = tiny_model(r1_gamma=1.0, r1_interval=2, pl_weight=2.0, pl_interval=3)
    d_updates, g_updates, pl_means = [], [], []
    for step in range(4):
        gan.train_step(real_batch(seed=step))
        d_updates.append(int(gan.d_optimizer.iterations))
        g_updates.append(int(gan.g_optimizer.iterations))
        pl_means.append(float(gan.pl_mean))
    # the main update every step, the regularisation's own update on steps 0, 2 (R1) and 0, 3 (path length)
    assert d_updates == [2, 3, 5, 6]
    assert g_updates == [2, 3, 4, 6]
    # the path-length mean moves on the regularised steps only (from 0)
    moved = [pl_means[0] != 0.0] + [a != b for a, b in zip(pl_means, pl_means[1:], strict=False)]
    assert moved == [True, False, False, True]
    assert int(gan.step) == 4


def test_r1_penalises_d_and_only_d():
    gan, _ = tiny_model(ema_decay=0.0)
    real = real_batch()["image"][0]
    g0, d0 = values(gan.g_variables), values(gan.discriminator.trainable_variables)
    r1 = float(gan.d_reg_step(real))
    assert r1 > 0
    assert not any(changed(g0, values(gan.g_variables)))
    kernels = [i for i, v in enumerate(gan.discriminator.trainable_variables) if v.path.endswith("kernel")]
    d_changed = changed(d0, values(gan.discriminator.trainable_variables))
    assert all(d_changed[i] for i in kernels)  # D's input gradient depends on every kernel


def test_path_lengths_are_the_norm_of_the_jacobian_product():
    gan, _ = tiny_model()
    ws, _ = gan.sample_ws(2)
    lengths = np.asarray(gan.path_lengths(ws))
    assert lengths.shape == (2,) and np.all(lengths > 0)


def test_ema_moves_towards_g_by_the_decay():
    gan, _ = tiny_model(ema_decay=0.9)
    before = values(gan.ema_synthesis.trainable_variables)
    gan.train_step(real_batch())
    after = values(gan.ema_synthesis.trainable_variables)
    g = values(gan.synthesis.trainable_variables)
    for b, a, new in zip(before, after, g, strict=True):
        np.testing.assert_allclose(a, 0.9 * b + 0.1 * new, rtol=1e-5, atol=1e-6)
    # the samples come from the average
    assert gan.sampling_networks == (gan.ema_mapping, gan.ema_synthesis)


def test_freeze_d_keeps_the_first_blocks_after_a_step():
    gan, params = tiny_model(freeze_d_layers=1)
    frozen = [v for v in gan.discriminator.variables if v.path.startswith("d16_")]
    free = [v for v in gan.discriminator.variables if v.path.startswith("d8_")]
    f0, u0 = values(frozen), values(free)
    gan.train_step(real_batch())
    assert not any(changed(f0, values(frozen)))
    assert all(changed(u0, values(free)))


def test_lazy_adam_corrects_the_rate_and_betas():
    opt = model_lib.lazy_adam(0.002, 0.0, 0.99, 16)
    c = 16 / 17
    np.testing.assert_allclose(float(opt.learning_rate), 0.002 * c, rtol=1e-6)
    assert opt.beta_1 == 0.0 and abs(opt.beta_2 - 0.99**c) < 1e-12
    assert float(model_lib.lazy_adam(0.002, 0.0, 0.99, None).learning_rate) == pytest.approx(0.002)
