"""MuseGAN's train step, networks and export."""

import json
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tests.music.helpers import tiny
from tfgan.errors import ConfigError
from tfgan.families.music import export, model, networks


def real_batch(p, n=4, seed=0):
    return tf.constant((np.random.default_rng(seed).random([n, *p.shape]) < 0.2).astype(np.float32))


def compiled(p, seed=0):
    m = model.MuseGAN(p, seed=seed)
    m.compile(*model.make_optimizers(p))
    m.build_optimizers()
    return m


def values(variables):
    return [v.numpy().copy() for v in variables]


def changed(before, variables):
    return any(not np.array_equal(b, v.numpy()) for b, v in zip(before, variables, strict=True))


@pytest.mark.parametrize("kind", ["hybrid", "composer", "jamming"])
@pytest.mark.parametrize("upsample", ["transpose", "resize"])
def test_generator_makes_rolls_of_every_model_in_range(kind, upsample):
    p = tiny(model=kind, upsample=upsample)
    g = networks.build_generator(p)
    out = g(export.stateless_latents(tf.range(3, dtype=tf.int64), networks.latent_shapes(p))).numpy()
    assert out.shape == (3, 2, 8, 12, 2) and out.min() >= 0 and out.max() <= 1
    assert networks.build_discriminator(p)(out).shape == (3, 1)


def test_resize_upsampling_repeats_each_step_before_its_convolution():
    # With only the centre tap of the last time convolution left, every output step of the last doubling is
    # its repeated input: the pairs (2i, 2i + 1) are equal (the layers after it act on each step alone).
    # The transposed convolution, with its own taps for even and odd steps, makes them differ.
    def last_pair_gap(upsample):
        p = tiny(upsample=upsample)
        g = networks.build_generator(p)
        for bar in g.bar_generators:
            double = bar.time[-1][0]
            conv = double.layers[-1] if upsample == "resize" else double
            kernel = conv.kernel.numpy()
            centre = np.zeros_like(kernel)
            centre[kernel.shape[0] // 2] = kernel[kernel.shape[0] // 2]
            conv.kernel.assign(centre)
        out = g(export.stateless_latents(tf.range(3, dtype=tf.int64), networks.latent_shapes(p))).numpy()
        return np.abs(out[:, :, 0::2] - out[:, :, 1::2]).max()

    assert last_pair_gap("resize") == 0
    assert last_pair_gap("transpose") > 1e-4


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_binary_neurons_emit_notes_and_pass_the_activations_gradient(activation):
    p = tiny(output_activation=activation, binary_neurons=True)
    g = networks.build_generator(p)
    z = export.stateless_latents(tf.range(3, dtype=tf.int64), networks.latent_shapes(p))
    with tf.GradientTape() as tape:
        out = g(z)
        # A weighted sum, so the gradient is not that of the constant sum of a binary roll's derivative.
        loss = tf.reduce_sum(out * tf.random.stateless_uniform(out.shape, (1, 2)))
    assert set(np.unique(out.numpy())) <= set(p.value_range)
    assert len(set(np.unique(out.numpy()))) == 2
    grads = tape.gradient(loss, g.trainable_variables)
    assert all(grad is not None for grad in grads)
    assert max(float(tf.reduce_max(tf.abs(grad))) for grad in grads) > 0
    # The same weights without binary neurons make the soft values the notes are their threshold of.
    soft = networks.build_generator(tiny(output_activation=activation))
    soft(z)
    soft.set_weights(g.get_weights())
    low, high = p.value_range
    np.testing.assert_array_equal(np.where(soft(z).numpy() > (low + high) / 2, high, low), out.numpy())


def test_the_refiner_starts_as_the_identity_and_learns():
    p = tiny(refine=True, refine_width=4)
    g = networks.build_generator(p)
    assert all(bar.refiner.layers[0].filters == 4 for bar in g.bar_generators)
    z = export.stateless_latents(tf.range(3, dtype=tf.int64), networks.latent_shapes(p))
    with tf.GradientTape() as tape:
        out = g(z)
        loss = tf.reduce_sum(out * tf.random.stateless_uniform(out.shape, (1, 2)))
    refiners = [bar.refiner for bar in g.bar_generators]
    grads = tape.gradient(loss, [v for r in refiners for v in r.trainable_variables])
    assert max(float(tf.reduce_max(tf.abs(grad))) for grad in grads) > 0
    for bar in g.bar_generators:  # without the refiner: the same bars (its last layer starts at zero)
        bar.refiner = None
    np.testing.assert_allclose(g(z).numpy(), out.numpy(), atol=1e-6)
    for bar, refiner in zip(g.bar_generators, refiners, strict=True):
        bar.refiner = refiner
        last = refiner.layers[-1].kernel
        last.assign(tf.random.stateless_normal(last.shape, (3, 4)))
    assert np.abs(g(z).numpy() - out.numpy()).max() > 1e-3
    # Its convolutions span 3 steps and 3 pitches: a change to one logit reaches only the cells 2 away.
    bar = g.bar_generators[0]
    logits = tf.zeros([1, *p.shape[1:3], 1])
    poked = tf.tensor_scatter_nd_update(logits, [[0, 4, 6, 0]], [5.0])
    reach = np.abs((bar.refiner(poked) - bar.refiner(logits)).numpy()[0, :, :, 0]) > 0
    assert reach[4, 6] and reach[2, 4] and reach[6, 8]
    assert not reach[:2].any() and not reach[7:].any() and not reach[:, :4].any() and not reach[:, 9:].any()


@pytest.mark.parametrize("fields", [{}, {"model": "composer"}, {"condition_tracks": ("a",)}])
def test_the_harmony_layer_starts_as_the_identity_and_learns(fields):
    p = tiny(harmony_width=4, **fields)
    g = networks.build_generator(p)
    z = networks.dummy_inputs(p, 3)
    z.update(export.stateless_latents(tf.range(3, dtype=tf.int64), networks.latent_shapes(p)))
    if p.condition_tracks:
        z["condition"] = real_batch(p, n=3)[..., :1]
    with tf.GradientTape() as tape:
        out = g(z)
        loss = tf.reduce_sum(out * tf.random.stateless_uniform(out.shape, (1, 2)))
    harmony = g.harmony
    grads = tape.gradient(loss, harmony.trainable_variables)
    assert max(float(tf.reduce_max(tf.abs(grad))) for grad in grads) > 0
    g.harmony = None  # its last layer starts at zero: the same rolls without it
    np.testing.assert_allclose(g(z).numpy(), out.numpy(), atol=1e-6)
    g.harmony = harmony
    harmony.bias.kernel.assign(tf.random.stateless_normal(harmony.bias.kernel.shape, (3, 4)))
    changed_out = g(z).numpy()
    assert np.abs(changed_out - out.numpy()).max() > 1e-3
    for i in p.condition_indices:  # a given track stays as given
        np.testing.assert_array_equal(changed_out[..., i], z["condition"].numpy()[..., 0])


def test_the_harmony_bias_hears_pitch_classes_of_neighbouring_steps_across_bar_lines():
    harmony = networks.Harmony(octaves=2, generated=1, width=4)
    silence = tf.zeros([1, 2, 8, 24, 2])  # 2 bars of 8 steps, 2 octaves, 2 tracks
    harmony(silence)
    for w in harmony.trainable_weights:
        w.assign(tf.random.stateless_normal(w.shape, (5, 6)))

    def poke(pitch):  # track 0 sounds `pitch` at the last step of bar 0
        return tf.tensor_scatter_nd_update(silence, [[0, 0, 7, pitch, 0]], [1.0])

    base = harmony(silence).numpy()
    heard = harmony(poke(3)).numpy() - base  # [1, bars, steps, pitches, 1]
    # Pitch classes, not pitches: the same note an octave up gives the same bias ...
    np.testing.assert_allclose(harmony(poke(15)).numpy() - base, heard, atol=1e-6)
    # ... and the bias is the same in every octave.
    np.testing.assert_allclose(heard[..., :12, :], heard[..., 12:, :], atol=1e-6)
    # Two convolutions over 3 steps: the note reaches 2 steps either way, into the next bar.
    reach = np.abs(heard[0, :, :, :, 0]).max(axis=-1).reshape(-1) > 0  # over the 16 steps of both bars
    assert reach[5:10].all() and not reach[:5].any() and not reach[10:].any()


def test_latent_inputs_follow_the_model():
    assert set(networks.latent_shapes(tiny(model="composer"))) == {"z", "z_temporal"}
    assert networks.latent_shapes(tiny(model="jamming")) == {"z_tracks": (2, 4), "z_tracks_temporal": (2, 4)}
    assert networks.latent_shapes(tiny(temporal=False))["z_tracks_temporal"] == (2, 2, 4)  # per bar
    assert networks.latent_shapes(tiny(condition_tracks=("a",)))["z_tracks"] == (1, 4)


def test_a_d_step_changes_d_and_not_g():
    m = compiled(tiny())
    d, g = values(m.discriminator.trainable_variables), values(m.generator.trainable_variables)
    m.d_step(real_batch(m.params))
    assert changed(d, m.discriminator.trainable_variables)
    assert not changed(g, m.generator.trainable_variables)
    assert float(m.trackers["gp"].result()) > 0


def test_a_g_step_changes_g_and_not_d():
    m = compiled(tiny(ema_decay=0.5))
    d, g = values(m.discriminator.trainable_variables), values(m.generator.trainable_variables)
    e = values(m.ema_generator.trainable_variables)
    m.g_step(4, real_batch(m.params))
    assert changed(g, m.generator.trainable_variables)
    assert not changed(d, m.discriminator.trainable_variables)
    assert changed(e, m.ema_generator.trainable_variables)  # the average follows G


def test_train_step_runs_k_critic_updates_and_counts_the_step():
    p = tiny()
    m = compiled(p)
    data = {"pianoroll": tf.stack([real_batch(p, seed=i) for i in range(p.d_steps)])}
    logs = m.train_step(data)
    assert int(m.step.numpy()) == 1 and int(m.d_optimizer.iterations.numpy()) == p.d_steps
    assert int(m.g_optimizer.iterations.numpy()) == 1
    assert all(np.isfinite(float(v)) for v in logs.values())


def test_a_nonfinite_loss_is_not_applied():
    p = tiny()
    m = compiled(p)
    d = values(m.discriminator.trainable_variables)
    m.d_step(real_batch(p) * np.nan)
    assert not changed(d, m.discriminator.trainable_variables)
    assert int(m.nonfinite.numpy()) & 1 and int(m.skipped_updates.numpy()) == 1


def test_the_accompaniment_model_keeps_the_given_tracks():
    p = tiny(condition_tracks=("b",))
    g = networks.build_generator(p)
    given = real_batch(p, n=3)[..., 1:2]
    inputs = {**export.stateless_latents(tf.range(3, dtype=tf.int64), networks.latent_shapes(p)), "condition": given}
    out = g(inputs).numpy()
    np.testing.assert_array_equal(out[..., 1:2], given.numpy())
    m = compiled(p)
    before = values(m.generator.trainable_variables)
    m.g_step(4, real_batch(p))
    assert changed(before, m.generator.trainable_variables)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"model": "quartet"}, "--model='quartet' is unknown"),
        ({"num_pitches": 50}, "multiple of 12"),
        ({"condition_tracks": ("tenor",)}, "tenor not among --track_names"),
        ({"programs": (0,)}, "one program per track"),
        ({"binarize": "round"}, "threshold or bernoulli"),
        ({"upsample": "bilinear"}, "choose transpose or resize"),
        ({"refine": True, "refine_width": 0}, "--refine_width must be a positive integer"),
        ({"harmony_width": -1}, "--harmony_width must be >= 0"),
    ],
)
def test_bad_parameters_are_one_clear_error(fields, message):
    with pytest.raises(ConfigError, match=message):
        tiny(**fields)


def test_flag_strings_become_tuples():
    p = tiny(track_names="x, y", programs="0,40", condition_tracks="y")
    assert p.track_names == ("x", "y") and p.programs == (0, 40) and p.condition_indices == (1,)


_RELOAD = """
import json, sys
import numpy as np, tensorflow as tf
m = tf.saved_model.load(sys.argv[1])
seed = tf.constant([5, 6, 7], tf.int64)
if sys.argv[2] == "sample":
    out = m.signatures["sample"](seed=seed)["pianoroll"]
else:
    out = m.signatures["accompany"](condition=tf.constant(np.load(sys.argv[3])), seed=seed)["pianoroll"]
np.save(sys.argv[4], out.numpy())
"""


@pytest.mark.parametrize("condition", [(), ("a",)])
def test_export_reloads_in_a_fresh_process_with_the_same_output(tmp_path, condition):
    p = tiny(condition_tracks=condition, binarize="bernoulli")
    directory = export.save_with_metadata(str(tmp_path / "1"), networks.build_generator(p), p)
    given = (np.random.default_rng(0).random([3, 2, 8, 12, 1]) < 0.3).astype(np.uint8)
    np.save(tmp_path / "given.npy", given)
    here = export.sample_pianorolls(directory, [5, 6, 7], given if condition else None)
    script = tmp_path / "reload.py"
    script.write_text(_RELOAD)
    kind = "accompany" if condition else "sample"
    subprocess.run(
        [sys.executable, str(script), directory, kind, str(tmp_path / "given.npy"), str(tmp_path / "o.npy")],
        check=True,
        cwd=tmp_path,
    )  # cwd: no tfgan on the path, TensorFlow alone
    there = np.load(tmp_path / "o.npy")
    assert there.dtype == np.uint8 and there.shape == (3, 2, 8, 12, 2)
    np.testing.assert_array_equal(there, here)
    if condition:
        np.testing.assert_array_equal(there[..., :1], given)
    info = json.loads((tmp_path / "1" / "metadata.json").read_text())
    assert (info["family"], info["lowest_pitch"], info["steps_per_bar"]) == ("music", 48, 8)
    assert info["track_names"] == ["a", "b"] and info["programs"] == [0, 33]


def test_sampling_refuses_a_wrong_condition(tmp_path):
    p = tiny(condition_tracks=("a",))
    directory = export.save_with_metadata(str(tmp_path / "1"), networks.build_generator(p), p)
    with pytest.raises(Exception, match="pass them"):
        export.sample_pianorolls(directory, [1])
    with pytest.raises(Exception, match="must have shape"):
        export.sample_pianorolls(directory, [1], np.zeros([1, 2, 8, 12, 2], np.uint8))


@pytest.mark.parametrize("condition", [(), ("b",)])
def test_a_checkpoint_holds_every_weight_of_both_networks(tmp_path, condition):
    p = tiny(condition_tracks=condition)
    a, b = compiled(p, seed=1), compiled(p, seed=2)
    a.d_step(real_batch(p))
    path = tf.train.Checkpoint(generator=a.generator, discriminator=a.discriminator).save(str(tmp_path / "c"))
    tf.train.Checkpoint(generator=b.generator, discriminator=b.discriminator).restore(path).assert_consumed()
    for x, y in zip(
        a.generator.variables + a.discriminator.variables,
        b.generator.variables + b.discriminator.variables,
        strict=True,
    ):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
