"""StyleGAN2 through `python -m tfgan.train`: exact resume, and bad input as one error line."""

import os

import numpy as np
import tensorflow as tf

from tests._util import run_module
from tests.stylegan.conftest import tiny_config
from tests.stylegan.helpers import TINY_FLAGS
from tfgan import training

# Every random stream and running mean at work: R1 and path length on even
# steps (so in both halves of the resumed run), style mixing, DiffAugment, EMA.
EVERYTHING = dict(
    r1_gamma=1.0, r1_interval=2, pl_weight=1.0, pl_interval=2, diffaugment="translation,cutout", ema_decay=0.9
)
FLAGS = (*TINY_FLAGS, "--checkpoint_every=2", "--deterministic", *(f"--{k}={v}" for k, v in EVERYTHING.items()))


def checkpoint_tensors(model_dir):
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints")))
    return {
        k: reader.get_tensor(k)
        for k in reader.get_variable_to_shape_map()
        if "save_counter" not in k and "OBJECT_GRAPH" not in k
    }


def test_a_run_stopped_and_restarted_ends_with_the_weights_of_an_uninterrupted_one(tmp_path):
    resumed = str(tmp_path / "resumed")
    first = run_module("tfgan.train", *FLAGS, "--steps=2", f"--model_dir={resumed}")
    assert first.returncode == 0, first.stderr[-3000:]
    second = run_module("tfgan.train", *FLAGS, "--steps=4", f"--model_dir={resumed}")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "at step 2 of 4" in second.stderr
    straight = tmp_path / "straight"
    training.train(tiny_config(straight, steps=4, deterministic=True, **EVERYTHING), verbose=0)
    a, b = checkpoint_tensors(resumed), checkpoint_tensors(straight)
    assert a.keys() == b.keys()
    assert any("pl_mean" in k for k in a) and any("w_avg" in k for k in a) and any("ema_synthesis" in k for k in a)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert os.path.isfile(os.path.join(resumed, "samples.png"))


def error_line(proc) -> str:
    """The last line of a refused run's stderr: one ``error:`` message (its problems indented below it), no traceback."""
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert sum(line.startswith("error:") for line in proc.stderr.splitlines()) == 1
    return proc.stderr.strip().splitlines()[-1]


def test_an_image_size_that_is_no_power_of_two_is_one_error_line(tmp_path):
    line = error_line(run_module("tfgan.train", *TINY_FLAGS, "--image_size=24", "--steps=1", f"--model_dir={tmp_path}"))
    assert "--image_size=24: StyleGAN2 makes images of a power-of-two side >= 16" in line
    assert not os.listdir(tmp_path)


def test_a_missing_init_from_is_one_error_line(tmp_path):
    missing = tmp_path / "nowhere"
    proc = run_module(
        "tfgan.train", *TINY_FLAGS, f"--init_from={missing}", "--steps=1", f"--model_dir={tmp_path / 'b'}"
    )
    line = error_line(proc)
    assert line.startswith(f"error: --init_from={missing} does not exist")
    assert not os.path.exists(tmp_path / "b" / "checkpoints")
