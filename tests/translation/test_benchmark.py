"""benchmarks/translation_step.py: its keras-io reference step trains, and computes tfgan's losses and D update."""

import importlib.util
import os
import subprocess
import sys

import keras
import numpy as np
import tensorflow as tf

from tests.translation.helpers import ROOT, batch, changed, cli_env, tiny_cyclegan, tiny_params, values

SCRIPT = os.path.join(ROOT, "benchmarks", "translation_step.py")


def _bench():
    spec = importlib.util.spec_from_file_location("translation_step", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _nets(model):
    return [model.g_ab, model.g_ba, model.d_a, model.d_b]


def test_the_keras_io_step_trains_all_four_networks_with_finite_losses():
    bench = _bench()
    model = tiny_cyclegan(pool_size=0)
    nets = bench.copy_networks(tiny_params(), _nets(model))
    for copy, net in zip(nets, _nets(model), strict=True):
        assert copy is not net and all(
            np.array_equal(a, b) for a, b in zip(copy.get_weights(), net.get_weights(), strict=True)
        )
    reference = bench.keras_io_model(*nets)
    before = [values(net.trainable_variables) for net in nets]
    data = batch(n=2)
    history = reference.fit(
        tf.data.Dataset.from_tensors((data["a"], data["b"])), steps_per_epoch=1, epochs=1, verbose=0
    ).history
    assert set(history) == {"G_loss", "F_loss", "D_X_loss", "D_Y_loss"}
    assert all(np.isfinite(v[-1]) and v[-1] > 0 for v in history.values())
    for b, net in zip(before, nets, strict=True):
        assert changed(b, net.trainable_variables), net.name


def test_without_a_pool_the_reference_computes_tfgans_losses_and_d_update():
    # The benchmark's claim of comparable work: from the same weights and batch,
    # with pool_size=0, keras-io's four losses sum to tfgan's g_loss and d_loss
    # and its D update is tfgan's (SGD: the update is the gradient itself). G's
    # update differs: keras-io's gradient of G leaves out the cycle term
    # through the other generator (||F(G(x)) - x|| is in F's loss only).
    bench = _bench()
    ours = tiny_cyclegan(pool_size=0)
    ours.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
    ours.build_optimizers()
    reference = bench.CycleGan(*bench.copy_networks(tiny_params(), _nets(ours)))
    reference.compile(
        *(keras.optimizers.SGD(0.1) for _ in range(4)),
        gen_loss_fn=bench.generator_loss_fn,
        disc_loss_fn=bench.discriminator_loss_fn,
    )
    data = batch(n=2, seed=4)
    theirs = reference.fit(
        tf.data.Dataset.from_tensors((data["a"], data["b"])), steps_per_epoch=1, epochs=1, verbose=0
    ).history
    mine = ours.fit(tf.data.Dataset.from_tensors(data), steps_per_epoch=1, epochs=1, verbose=0).history
    np.testing.assert_allclose(theirs["G_loss"][0] + theirs["F_loss"][0], mine["g_loss"][0], rtol=1e-5)
    np.testing.assert_allclose(theirs["D_X_loss"][0] + theirs["D_Y_loss"][0], mine["d_loss"][0], rtol=1e-5)
    for net, copy in zip(_nets(ours)[2:], [reference.disc_X, reference.disc_Y], strict=True):
        for a, b in zip(net.get_weights(), copy.get_weights(), strict=True):
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    differs = [
        not np.allclose(a, b) for a, b in zip(ours.g_ab.get_weights(), reference.gen_G.get_weights(), strict=True)
    ]
    assert any(differs)


def test_help_runs():
    result = subprocess.run(
        [sys.executable, SCRIPT, "--help"], capture_output=True, text=True, env=cli_env(), timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for flag in ("--settings", "--repeats", "--steps", "--no_memory"):
        assert flag in result.stdout


def test_unknown_settings_are_refused():
    result = subprocess.run(
        [sys.executable, SCRIPT, "--settings=digits2mnist,horses"],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=300,
    )
    assert result.returncode == 2 and "--settings: unknown horses" in result.stderr
