import glob
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from tests._util import TINY_FLAGS, run_module, tiny_config
from tfgan import training
from tfgan.errors import ConfigError


def event_tags(logdir):
    tags = {}
    for path in glob.glob(os.path.join(logdir, "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                tags.setdefault(value.tag, []).append(event.step)
    return tags


def test_cli_end_to_end_with_flagfile(tmp_path):
    model_dir = tmp_path / "run"
    flagfile = tmp_path / "tiny.flags"
    flagfile.write_text("\n".join([*TINY_FLAGS, f"--model_dir={model_dir}"]) + "\n")
    result = run_module("tfgan.train", f"--flagfile={flagfile}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "trained" in result.stdout and "equilibrium" in result.stdout
    config = json.loads((model_dir / "config.json").read_text())
    assert config["image_size"] == 8 and config["channels"] == 1 and config["steps"] == 4
    assert config["dataset"] == "digits" and config["model"] == "dcgan"
    assert tf.train.latest_checkpoint(str(model_dir / "checkpoints")).endswith("ckpt-4")
    assert os.path.exists(model_dir / "checkpoints" / "ckpt-2.index")
    tags = event_tags(str(model_dir / "logs"))
    for tag in ("loss/D", "loss/G", "equilibrium/V", "gradients/D", "gradients/G"):
        assert sorted(set(tags[tag])) == [1, 2, 3, 4], tag
    assert "samples" in tags and "equilibrium" in tags
    # D(x) and D(G(z)): one tag in the runs real and fake, so one chart with a colour each.
    for run in ("real", "fake"):
        tags_of_run = event_tags(str(model_dir / "logs" / run))
        assert set(tags_of_run) == {"equilibrium/D output", "equilibrium/D accuracy"}, run
        assert sorted(set(tags_of_run["equilibrium/D output"])) == [1, 2, 3, 4]
    # Written under their groups only; a critic's raw scores mean nothing for the 2014 loss.
    assert not {"d_loss", "d_real", "value", "critic_real", "equilibrium/D output"} & set(tags)
    reference = event_tags(str(model_dir / "logs" / "reference"))  # the 1/2 lines share their metric's chart
    assert set(reference) == {"equilibrium/D output", "equilibrium/D accuracy", "equilibrium/V"}
    # Few reference points (start and each sample grid), so "ignore outliers" scales to the metrics.
    assert len(reference["equilibrium/V"]) < len(tags["equilibrium/V"])
    # The progress line shows what matters for the loss; the rest is in TensorBoard.
    bar = result.stdout.split("trained")[0]
    assert "D(x):" in bar and "D(G(z)):" in bar and "d_loss:" in bar and "g_loss:" in bar
    assert not any(name in bar for name in ("critic_real", "d_acc_real", "d_grad_norm", "value:"))
    assert "--samples_per_plugin images=" in result.stdout
    png = tf.io.decode_png((model_dir / "samples.png").read_bytes()).numpy()
    assert png.ndim == 3 and png.shape[0] > 64 and png.std() > 0
    assert (model_dir / "export" / "generator" / "1" / "saved_model.pb").exists()


def test_cli_rejects_bad_flags_with_one_clear_line():
    result = run_module("tfgan.train", "--model=resnet9", "--lr=-1", "--batch_size=0")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--model='resnet9' is unknown; choose one of: mlp, dcgan" in result.stderr
    assert "--lr must be a positive number" in result.stderr and "--batch_size must be a positive" in result.stderr


def test_cli_help_documents_flags():
    result = run_module("tfgan.train", "--helpfull")
    assert result.returncode == 1  # absl's convention after printing help
    assert "Traceback" not in result.stderr
    for flag in ("--preset", "--d_steps", "--dataset", "--data_dir", "--loss", "--epochs", "--model_dir"):
        assert flag in result.stdout


def test_resume_continues_the_step_count(tmp_path):
    first = training.train(tiny_config(tmp_path, steps=4), verbose=0)
    assert first.step == 4
    second = training.train(tiny_config(tmp_path, steps=7), verbose=0)
    assert second.step == 7
    # Only the 3 missing steps ran: the optimisers count 7 updates each, not 11.
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(tmp_path / "checkpoints")))
    assert reader.get_tensor("d_optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE") == 7
    assert reader.get_tensor("g_optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE") == 7
    steps = event_tags(str(tmp_path / "logs"))["loss/D"]
    assert sorted(steps) == [1, 2, 3, 4, 5, 6, 7]  # logged once per step, never repeated
    lr = reader.get_tensor("g_optimizer/_learning_rate/.ATTRIBUTES/VARIABLE_VALUE")
    assert lr == np.float32(2e-4)
    third = training.train(tiny_config(tmp_path, steps=9, lr=1e-4), verbose=0)  # a resumed run may change lr
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(tmp_path / "checkpoints")))
    assert reader.get_tensor("g_optimizer/_learning_rate/.ATTRIBUTES/VARIABLE_VALUE") == np.float32(1e-4)
    assert third.step == 9
    third = training.train(tiny_config(tmp_path, steps=9), verbose=0)
    assert third.step == 9 and third.logs == {}
    assert third.export_dir.endswith("3")  # versions 1, 2 at steps 4, 7; 3 at step 9; nothing new now


def test_resumed_run_sees_the_data_an_uninterrupted_run_would():
    from tfgan.training import fit_plan

    # 23 steps an epoch: resuming at 30 finishes epoch 2, runs full epochs, then the tail.
    assert fit_plan(30, 100, 23) == [(1, 2, 16), (2, 4, 23), (4, 5, 8)]
    assert fit_plan(0, 46, 23) == [(0, 2, 23)]
    assert fit_plan(46, 46, 23) == []


def test_incompatible_resume_is_refused(tmp_path):
    training.train(tiny_config(tmp_path, steps=2), verbose=0)
    with pytest.raises(ConfigError, match="(?s)latent_dim.*checkpoint has 100, now 8.*new --model_dir"):
        training.train(tiny_config(tmp_path, steps=4, latent_dim=8), verbose=0)
    with pytest.raises(ConfigError, match="image_size"):
        training.train(tiny_config(tmp_path, steps=4, image_size=16), verbose=0)


def test_mlp_preset_trains_and_samples_in_range(tmp_path):
    result = training.train(
        tiny_config(tmp_path, model="mlp", optimizer="paper_sgd", lr=0.1, d_steps=2, batch_size=10), verbose=0
    )
    assert result.step == 4
    assert np.isfinite(result.logs["d_loss"]) and 0 <= result.logs["d_fake"] <= 1
