import json

import numpy as np
import pytest
import tensorflow as tf

from tests.translation.helpers import tiny_params
from tfgan.errors import ConfigError
from tfgan.families.translation import trainer
from tfgan.run.config import RunConfig
from tfgan.run.family import SetupContext


def _setup(tmp_path, **overrides):
    run = RunConfig(model_dir=str(tmp_path), batch_size=4, steps=4, seed=1)
    params = tiny_params(**{"domain_a": "digits#class=1", "domain_b": "digits#class=7", **overrides})
    return trainer.setup(SetupContext(run=run, params=params, strategy=tf.distribute.get_strategy(), fresh=True)), run


def _fit(t, start, steps):
    t.model.fit(t.dataset(start), steps_per_epoch=steps, epochs=1, verbose=0)


@pytest.mark.parametrize(
    "overrides",
    [{}, {"cycle_noise": 0.2}, {"class_conditional": True, "domain_a": "digits", "domain_b": "digits"}],
    ids=["plain", "cycle_noise", "class_conditional"],
)
def test_a_resumed_run_continues_exactly(tmp_path, overrides):
    t, _ = _setup(tmp_path, **overrides)
    _fit(t, 0, 2)
    path = tf.train.Checkpoint(**t.checkpoint).write(str(tmp_path / "ckpt"))
    _fit(t, 2, 2)
    expected = [v.numpy() for v in t.model.g_ab.variables + t.model.d_b.variables + t.model.pool_a.variables]
    resumed, _ = _setup(tmp_path, **overrides)
    tf.train.Checkpoint(**resumed.checkpoint).read(path).assert_consumed()
    assert int(resumed.model.step.numpy()) == 2
    _fit(resumed, 2, 2)
    got = [
        v.numpy() for v in resumed.model.g_ab.variables + resumed.model.d_b.variables + resumed.model.pool_a.variables
    ]
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


def test_resolved_params_and_checkpoint_contents(tmp_path):
    t, _ = _setup(tmp_path, ema_decay=0.9, diffaugment="translation")
    assert t.params.image_size == 8 and t.params.channels == 1 and t.params.resnet_blocks == 1
    assert {"g_ab", "g_ba", "d_a", "d_b", "pool_a", "pool_b", "ema_g_ab", "augment_rng", "step"} <= set(t.checkpoint)
    assert t.export_name == "translator" and t.steps_per_epoch == 151 // 4  # max(151 ones, 149 sevens) // batch


def test_export_and_export_checkpoint_give_the_same_translator(tmp_path):
    t, run = _setup(tmp_path)
    _fit(t, 0, 1)
    meta = t.export(str(tmp_path / "live"))
    assert meta["family"] == "translation" and meta["domains"] == {"a": "digits#class=1", "b": "digits#class=7"}
    path = tf.train.Checkpoint(**t.checkpoint).save(str(tmp_path / "ckpt"))  # as the run's CheckpointManager
    trainer.export_checkpoint(run, t.params, path, str(tmp_path / "from_ckpt"))
    x = tf.constant(np.random.default_rng(0).integers(0, 256, (2, 8, 8, 1)).astype(np.uint8))
    live = tf.saved_model.load(str(tmp_path / "live")).signatures["b_to_a"](images=x)["images"].numpy()
    again = tf.saved_model.load(str(tmp_path / "from_ckpt")).signatures["b_to_a"](images=x)["images"].numpy()
    np.testing.assert_array_equal(live, again)
    json.dumps(meta)  # metadata.json must be writable


def test_summaries_write_the_before_after_pairs(tmp_path):
    t, _ = _setup(tmp_path)
    writer = tf.summary.create_file_writer(str(tmp_path / "logs"))
    with writer.as_default():
        t.summarize(0)
    writer.flush()
    from tensorboard.backend.event_processing import event_accumulator

    acc = event_accumulator.EventAccumulator(str(tmp_path / "logs"), size_guidance={"tensors": 0})
    acc.Reload()
    tags = set(acc.Tags()["tensors"])
    assert {"a_to_b", "b_to_a"} <= tags
    # A | G_ab(A) | G_ba(G_ab(A)): three images side by side.
    width = int(tf.io.decode_png(acc.Tensors("a_to_b")[0].tensor_proto.string_val[2]).shape[1])
    assert width == 3 * 8
    assert tf.io.gfile.exists(t.finish(str(tmp_path))["pairs"])


def test_a_pool_smaller_than_the_batch_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"--pool_size=2 is smaller than the \(global\) batch \(4\)"):
        _setup(tmp_path, pool_size=2)


def test_pix2pix_run_on_a_paired_folder_exports_one_direction(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(4):
        for side in "AB":
            (tmp_path / "pairs" / side).mkdir(parents=True, exist_ok=True)
            image = rng.integers(0, 256, (8, 8, 1), np.uint8)
            (tmp_path / "pairs" / side / f"{i}.png").write_bytes(tf.io.encode_png(image).numpy())
    run = RunConfig(model_dir=str(tmp_path), batch_size=2, steps=2, seed=0)
    params = tiny_params(model="pix2pix", domain_a=f"pairs:{tmp_path / 'pairs'}", domain_b="")
    t = trainer.setup(SetupContext(run=run, params=params, strategy=tf.distribute.get_strategy(), fresh=True))
    assert t.steps_per_epoch == 2 and "layer_rngs" in t.checkpoint  # the U-Net's dropout RNGs
    _fit(t, 0, 2)
    meta = t.export(str(tmp_path / "export"))
    assert meta["directions"] == ["a_to_b"] and meta["model"] == "pix2pix"
    signatures = tf.saved_model.load(str(tmp_path / "export")).signatures
    assert "b_to_a" not in signatures and "a_to_b_png" in signatures


def test_fixed_images_are_spread_over_a_class_sorted_domain(tmp_path):
    from pipelines import domains
    from tfgan.families.translation import summaries

    x = np.repeat(np.arange(10, dtype=np.uint8) * 20, 5)[:, None, None] * np.ones((1, 4, 4), np.uint8)
    np.savez(tmp_path / "sorted.npz", x=x, y=np.repeat(np.arange(10), 5).astype(np.int32))
    pair = domains.open_domains(f"npz:{tmp_path / 'sorted.npz'}", "digits", image_size=4)
    fixed = summaries.fixed_images(pair, n=5)
    values = np.round((fixed["a"][:, 0, 0, 0] + 1) * 127.5).astype(int).tolist()
    assert values == [0, 40, 80, 120, 160]  # one image in every 10, not the first five


def test_class_conditional_runs_take_the_domains_classes_or_say_why_not(tmp_path):
    t, _ = _setup(tmp_path / "ok", class_conditional=True, domain_a="digits", domain_b="digits")
    assert t.params.num_classes == 10 and t.model.d_a.input_shape[-1] == 1 + 10
    element = next(iter(t.dataset(0)))
    assert element["label_a"].shape == (4,) and element["label_b"].dtype == tf.int32
    with pytest.raises(ConfigError, match="digits#class=1 has a single class"):
        _setup(tmp_path / "one", class_conditional=True)
    with pytest.raises(ConfigError, match="--num_classes=3, but the domains have 10 classes"):
        _setup(tmp_path / "three", class_conditional=True, domain_a="digits", domain_b="digits", num_classes=3)
