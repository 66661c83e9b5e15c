"""Kills, resumes, NaNs: a run never loses or corrupts its checkpoints, logs or export."""

import glob
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from tests._util import ROOT, TINY_FLAGS, cli_env, tiny_config
from tfgan import training
from tfgan.eventfiles import complete_length
from tfgan.run.callbacks import NonFiniteError


def start_training(model_dir, steps):
    flags = [f for f in TINY_FLAGS if not f.startswith("--steps")]
    return subprocess.Popen(
        [sys.executable, "-m", "tfgan.train", *flags, f"--steps={steps}", f"--model_dir={model_dir}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
        cwd=ROOT,
    )


def kill_when(proc, condition, timeout=240):
    """SIGKILLs `proc` the moment `condition()` holds; returns what it returned."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = condition()
        if found:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
            return found
        if proc.poll() is not None:
            pytest.fail(f"the run ended (rc={proc.returncode}) before it could be killed: {proc.stderr.read()[-2000:]}")
        time.sleep(0.001)
    proc.kill()
    pytest.fail("timed out waiting to kill the run")


def checkpoint_written(model_dir, number):
    latest = tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints"))
    return latest if latest and latest.endswith(f"ckpt-{number}") else None


def checkpoint_being_written(model_dir, after):
    """A ``ckpt-N_temp`` folder whose data is still being written, N > after."""
    for temp in glob.glob(os.path.join(model_dir, "checkpoints", "ckpt-*_temp")):
        number = int(os.path.basename(temp)[len("ckpt-") : -len("_temp")])
        if number > after and glob.glob(os.path.join(temp, "*.tempstate*")):
            return number
    return None


def test_killed_after_and_during_checkpoint_writes_resumes_cleanly(tmp_path):
    model_dir = str(tmp_path / "run")
    steps = 40
    # 1. Killed right after checkpoint 2 is complete.
    kill_when(start_training(model_dir, steps), lambda: checkpoint_written(model_dir, 2))
    # 2. The same command resumes; killed in the middle of writing a later checkpoint.
    resumed_from = int(tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints")).rsplit("-", 1)[1])
    torn = kill_when(start_training(model_dir, steps), lambda: checkpoint_being_written(model_dir, resumed_from + 2))
    latest = tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints"))
    assert int(latest.rsplit("-", 1)[1]) < torn  # the index never names the torn checkpoint
    # 3. The same command again finishes the run.
    proc = start_training(model_dir, steps)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    assert "resuming" in err

    checkpoints = os.path.join(model_dir, "checkpoints")
    state = tf.train.get_checkpoint_state(checkpoints)
    assert state.model_checkpoint_path.endswith(f"ckpt-{steps}")
    assert not glob.glob(os.path.join(checkpoints, "*_temp"))
    for path in state.all_model_checkpoint_paths:  # every kept checkpoint is whole
        reader = tf.train.load_checkpoint(path)
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
    reader = tf.train.load_checkpoint(state.model_checkpoint_path)
    assert reader.get_tensor("step/.ATTRIBUTES/VARIABLE_VALUE") == steps  # as an uninterrupted run
    assert reader.get_tensor("d_optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE") == steps
    events = glob.glob(os.path.join(model_dir, "logs", "events.out.tfevents.*"))
    assert len(events) == 3
    logged = set()
    for path in events:  # every log file is whole and readable
        assert complete_length(path) == os.path.getsize(path)
        for event in tf.compat.v1.train.summary_iterator(path):
            logged.update(event.step for v in event.summary.value if v.tag == "d_loss")
    assert logged == set(range(1, steps + 1))
    export_base = os.path.join(model_dir, "export", "generator")
    assert os.listdir(export_base) == ["1"]  # complete, no temporary folder
    model = tf.saved_model.load(os.path.join(export_base, "1"))
    assert model.signatures["sample"](seed=tf.constant([1], tf.int64))["images"].shape == (1, 8, 8, 1)


def final_weights(model_dir):
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints")))
    skip = ("_CHECKPOINTABLE_OBJECT_GRAPH", "save_counter/.ATTRIBUTES/VARIABLE_VALUE")
    return {n: reader.get_tensor(n) for n in reader.get_variable_to_shape_map() if n not in skip}


def test_deterministic_resume_ends_with_the_same_weights(tmp_path):
    # The mlp's D has dropout: its RNG state must be checkpointed too.
    config = dict(model="mlp", deterministic=True, batch_size=10, d_steps=2, checkpoint_every=100)
    training.train(tiny_config(tmp_path / "straight", steps=6, **config), verbose=0)
    training.train(tiny_config(tmp_path / "resumed", steps=3, **config), verbose=0)
    training.train(tiny_config(tmp_path / "resumed", steps=6, **config), verbose=0)
    straight, resumed = final_weights(tmp_path / "straight"), final_weights(tmp_path / "resumed")
    # Weights, optimiser slots, the step and every RNG state (noise and dropout).
    assert straight.keys() == resumed.keys() and len(straight) > 20
    assert sum("layer_rngs" in n for n in straight) == 3
    for name in straight:
        np.testing.assert_array_equal(straight[name], resumed[name], err_msg=name)


def assert_float_weights_finite(weights):
    floats = {name: value for name, value in weights.items() if value.dtype.kind == "f"}
    assert floats, "the checkpoint holds no float weights"
    for name, value in floats.items():
        assert np.all(np.isfinite(value)), name


def test_nan_stops_with_the_step_and_keeps_the_last_good_checkpoint(tmp_path):
    first = training.train(tiny_config(tmp_path, steps=4), verbose=0)
    with pytest.raises(NonFiniteError, match=r"(?s)step 5: .*NaN or infinite.*ckpt-4"):
        training.train(tiny_config(tmp_path, steps=8, lr=1e30), verbose=0)
    assert tf.train.latest_checkpoint(str(tmp_path / "checkpoints")).endswith("ckpt-4")
    assert_float_weights_finite(final_weights(tmp_path))
    assert os.listdir(tmp_path / "export" / "generator") == [os.path.basename(first.export_dir)]


def test_nan_skip_is_bounded(tmp_path):
    training.train(tiny_config(tmp_path, steps=2), verbose=0)
    with pytest.raises(NonFiniteError, match="more than --max_nan_skips=2"):
        training.train(tiny_config(tmp_path, steps=20, lr=1e30, on_nan="skip", max_nan_skips=2), verbose=0)
    assert_float_weights_finite(final_weights(tmp_path))


def test_a_nan_batch_is_never_applied():
    import keras

    from tfgan.families.image import networks
    from tfgan.families.image.model import GAN

    nets = networks.build("dcgan", 16, (8, 8, 1))
    gan = GAN(nets.generator, nets.discriminator, latent_dim=16, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    gan.build_optimizers()
    before = [v.numpy().copy() for v in nets.discriminator.trainable_variables]
    images = np.full((1, 4, 8, 8, 1), np.nan, np.float32)
    gan.train_step({"image": tf.constant(images), "label": tf.zeros((1, 4), tf.int32)})
    assert int(gan.nonfinite.numpy()) == 1 | 2  # d_loss and D's gradients
    assert int(gan.skipped_updates.numpy()) == 1 and int(gan.d_optimizer.iterations.numpy()) == 0
    for a, b in zip(before, nets.discriminator.trainable_variables, strict=True):
        np.testing.assert_array_equal(a, b.numpy())
