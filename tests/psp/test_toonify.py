"""Toonify: A's encoder with B's generator as a translator export that tfgan.translate uses unchanged."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from tests.stylegan.helpers import tiny_params
from tfgan import translate
from tfgan.errors import ConfigError
from tfgan.families.psp import toonify
from tfgan.families.psp.export import load_encoder
from tfgan.families.stylegan import trainer as stylegan_trainer
from tfgan.families.stylegan.loading import load_generator
from tfgan.images import to_uint8
from tfgan.run import exports
from tfgan.run.config import RunConfig


def generator_export(base, **overrides):
    """A freshly initialised tiny StyleGAN2 written as an export (a stand-in for a fine-tuned or blended B)."""
    params = tiny_params(**overrides)
    nets = stylegan_trainer.build_networks(params)
    w_avg = np.full([params.w_dim], 0.1, np.float32)
    return exports.publish(
        str(base),
        lambda staging: stylegan_trainer.write_export(
            RunConfig(steps=1), params, nets.mapping, nets.synthesis, w_avg, 0, staging
        ),
        family="stylegan",
    )


@pytest.fixture(scope="module")
def zebras(generator_run, tmp_path_factory):
    """Domain B: a generator that records A's run as its --init_from."""
    return generator_export(tmp_path_factory.mktemp("g_b"), init_from=generator_run.config.model_dir)


def test_a_to_b_is_a_encoder_then_b_generator_and_translate_keeps_the_input_size(encoder_run, zebras, tmp_path):
    version = toonify.toonify(dict(encoder=encoder_run.export_dir, generator=zebras, out=str(tmp_path / "t")))
    meta = exports.load_metadata(version)
    assert meta["family"] == "translation" and meta["directions"] == ["a_to_b"]
    assert meta["lineage_verified"] == {"a_to_b": True}
    model = tf.saved_model.load(version)
    assert "b_to_a" not in model.signatures
    # a_to_b by hand, at the generator's size (the translator's resizing is then the identity).
    x = np.random.default_rng(0).integers(0, 256, (2, 16, 16, 1), dtype=np.uint8)
    enc, gen = load_encoder(encoder_run.export_dir), load_generator(zebras)
    w_plus = enc.encode(x.astype(np.float32) / 127.5 - 1)
    expected = to_uint8(gen.synthesis(w_plus, training=False), (-1.0, 1.0)).numpy()
    got = model.signatures["a_to_b"](images=tf.constant(x))["images"].numpy()
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1
    # tfgan.translate's library function, on a file of another size and colour.
    (tmp_path / "in").mkdir()
    tf.io.write_file(str(tmp_path / "in" / "h.png"), tf.io.encode_png(np.full((20, 24, 3), 200, np.uint8)))
    export_dir, _ = translate.resolve_export(str(tmp_path / "t"))
    result = translate.translate_files(
        export_dir, "a_to_b", translate.find_inputs(str(tmp_path / "in")), str(tmp_path / "out"), progress=False
    )
    assert result == {"translated": 1, "skipped": []}
    out = tf.io.decode_png(tf.io.read_file(str(tmp_path / "out" / "h.png"))).numpy()
    assert out.shape == (20, 24, 3) and out.dtype == np.uint8


def test_both_directions_with_b_s_encoder_and_a_s_generator(encoder_run, generator_run, zebras, tmp_path):
    version = toonify.toonify(
        dict(
            encoder=encoder_run.export_dir,
            generator=zebras,
            encoder_b=encoder_run.export_dir,  # any encoder of the shared W space will do for the format
            generator_a=generator_run.config.model_dir,
            out=str(tmp_path / "t"),
        )
    )
    with open(os.path.join(version, "metadata.json")) as f:
        assert json.load(f)["directions"] == ["a_to_b", "b_to_a"]
    sig = tf.saved_model.load(version).signatures
    assert sig["b_to_a"](images=tf.zeros([1, 9, 9, 1], tf.uint8))["images"].shape == (1, 9, 9, 1)


def test_another_w_space_or_half_a_pair_is_refused(encoder_run, generator_run, tmp_path):
    other = generator_export(tmp_path / "wide", w_dim=4)
    with pytest.raises(ConfigError, match=r"another W space .* w_dim: 8 \(--encoder\) vs 4 \(--generator\)"):
        toonify.toonify(dict(encoder=encoder_run.export_dir, generator=other, out=str(tmp_path / "t")))
    with pytest.raises(ConfigError, match="--encoder_b is given without --generator_a"):
        toonify.toonify(
            dict(
                encoder=encoder_run.export_dir,
                generator=generator_run.export_dir,
                encoder_b=encoder_run.export_dir,
                out=str(tmp_path / "t"),
            )
        )
    assert not (tmp_path / "t").exists()
