"""--init_from: a fresh run starts from domain A's run (G, D, mapping, EMA) or export (G); FreezeD; refusals."""

import os

import numpy as np
import pytest
import tensorflow as tf

from tests.stylegan.conftest import tiny_config
from tfgan import training
from tfgan.errors import ConfigError
from tfgan.families.stylegan import discriminator, trainer

NETS = ("mapping", "synthesis", "discriminator", "ema_mapping", "ema_synthesis")


def layer_weights(model_dir) -> dict:
    """(network, layer name) -> the layer's weights in the run's latest checkpoint."""
    config = training.load_saved_config(str(model_dir))
    nets = trainer.build_networks(config.params)
    ema_nets = trainer.build_networks(config.params)
    objects = dict(mapping=nets.mapping, synthesis=nets.synthesis, discriminator=nets.discriminator)
    objects.update(ema_mapping=ema_nets.mapping, ema_synthesis=ema_nets.synthesis)
    ckpt = tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints"))
    tf.train.Checkpoint(**objects).restore(ckpt).assert_existing_objects_matched().expect_partial()
    return {
        (name, layer.name): [np.array(w) for w in layer.weights]
        for name, net in objects.items()
        for layer in net.layers
    }


def model_weights(model) -> dict:
    objects = {name: getattr(model, name) for name in NETS}
    return {
        (name, layer.name): [np.array(w) for w in layer.weights]
        for name, net in objects.items()
        for layer in net.layers
    }


def same(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_init_from_a_run_copies_g_d_mapping_and_ema(trained_run, tmp_path):
    a = trained_run.config.model_dir
    _, built, _ = training.build(tiny_config(tmp_path / "b", dataset="digits#class=3", init_from=a))
    theirs, mine = layer_weights(a), model_weights(built.model)
    assert theirs.keys() == mine.keys()
    for key in theirs:
        assert same(theirs[key], mine[key]), key
    assert int(built.model.step) == 0 and int(built.model.d_optimizer.iterations) == 0


def test_freeze_d_leaves_the_first_blocks_as_domain_a_trained_them(trained_run, tmp_path):
    a = trained_run.config.model_dir
    b = tmp_path / "b"
    training.train(tiny_config(b, dataset="digits#class=3", init_from=a, freeze_d_layers=1, steps=1), verbose=0)
    theirs, mine = layer_weights(a), layer_weights(b)
    frozen = set(discriminator.blocks(16)[0])
    for (net, layer), weights in theirs.items():
        if not weights:
            continue
        if net == "discriminator" and layer in frozen:
            assert same(weights, mine[net, layer]), layer
        elif net in ("discriminator", "synthesis"):
            assert not same(weights, mine[net, layer]), (net, layer)  # trained on domain B


def test_init_from_an_export_copies_the_exported_generator(trained_run, tmp_path):
    a = trained_run.config.model_dir
    _, built, _ = training.build(tiny_config(tmp_path / "b", init_from=trained_run.export_dir))
    theirs, mine = layer_weights(a), model_weights(built.model)
    for (net, layer), weights in theirs.items():
        if net.startswith("ema_"):  # the export holds A's averaged G: B's G and its average start there
            assert same(weights, mine[net, layer]) and same(weights, mine[net[4:], layer]), layer
    with pytest.raises(ConfigError, match="holds no discriminator"):
        training.build(tiny_config(tmp_path / "c", init_from=trained_run.export_dir, freeze_d_layers=1))


def test_init_from_refuses_other_shapes_naming_both(trained_run, tmp_path):
    a = trained_run.config.model_dir
    with pytest.raises(ConfigError) as e:
        training.build(tiny_config(tmp_path / "b", init_from=a, image_size=32, w_dim=4))
    text = str(e.value)
    assert f"--init_from={a} has networks of another shape" in text
    assert "--image_size: 16 there, 32 here" in text and "--w_dim: 8 there, 4 here" in text
    with pytest.raises(ConfigError, match="neither a tfgan run directory"):
        training.build(tiny_config(tmp_path / "c", init_from=str(tmp_path)))
