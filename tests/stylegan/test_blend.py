"""`tfgan.families.stylegan.blend` and `python -m tfgan.blend` (Pinkney & Adler 2020) on tiny 16 px networks."""

import math
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.stylegan.helpers import tiny_params
from tfgan.errors import ConfigError
from tfgan.families.stylegan import blend, export, loading, synthesis, trainer
from tfgan.images import to_uint8
from tfgan.run import exports

SIZE = 16


def generator(seed, **overrides):
    """A randomly initialised tiny `loading.Generator` (noise strengths made non-zero so noise matters)."""
    keras.utils.set_random_seed(seed)
    params = tiny_params(**overrides)
    mapping, synthesis_net = trainer.build_generator(params)
    rng = np.random.default_rng(seed)
    for v in synthesis_net.variables:
        if v.path.endswith(("noise_strength", "bias")):
            v.assign(rng.normal(0, 0.3, v.shape).astype("float32"))
    w_avg = rng.normal(size=[params.w_dim]).astype("float32")
    return loading.Generator(params, mapping, synthesis_net, w_avg, source=f"seed{seed}")


def layer_variables(net, name):
    return {v.path: np.array(v) for v in net.get_layer(name).variables}


def publish(gen, base):
    def write(staging):
        return trainer.write_export(None, gen.params, gen.mapping, gen.synthesis, gen.w_avg, 0, staging)

    return exports.publish(str(base), write, family="stylegan")


@pytest.fixture(scope="module")
def models():
    return generator(1), generator(2)


@pytest.fixture(scope="module")
def exported(models, tmp_path_factory):
    root = tmp_path_factory.mktemp("blend_exports")
    a, b = models
    return {
        "a": publish(a, root / "a"),
        "b": publish(b, root / "b"),
        "wide": publish(generator(3, channel_max=16), root / "wide"),
        "root": root,
    }


@pytest.mark.parametrize("swap", [8, 16])
def test_a_hard_swap_takes_each_resolutions_layers_from_the_model_the_layout_names(models, swap):
    a, b = models
    out = blend.blend_networks(a, b, swap)
    for r, names in synthesis.layers_by_resolution(SIZE).items():
        source = b if r >= swap else a
        for name in names:
            got, want = layer_variables(out.synthesis, name), layer_variables(source.synthesis, name)
            assert got.keys() == want.keys()
            for path in got:
                np.testing.assert_array_equal(got[path], want[path], err_msg=f"{path} at {r} px, swap {swap}")
    for mine, theirs in zip(out.mapping.variables, a.mapping.variables, strict=True):
        np.testing.assert_array_equal(np.array(mine), np.array(theirs))
    np.testing.assert_array_equal(np.array(out.w_avg), np.array(a.w_avg))
    # Every synthesis variable belongs to some resolution of the layout.
    named = {n for names in synthesis.layers_by_resolution(SIZE).values() for n in names}
    assert {v.path.split("/")[0].removesuffix("_noise") for v in out.synthesis.variables} <= named


def test_a_smooth_blend_follows_the_logistic_in_log2_resolution(models):
    a, b = models
    width = 0.7
    # By hand: log2 of 4, 8, 16 is 2, 3, 4; the centre log2(8) = 3.
    expected = {4: 1 / (1 + math.exp(1 / width)), 8: 0.5, 16: 1 / (1 + math.exp(-1 / width))}
    ys = blend.blend_weights(SIZE, 8, width)
    assert ys == pytest.approx(expected)
    assert blend.blend_weights(SIZE, 8, 0.0) == {4: 0.0, 8: 1.0, 16: 1.0}
    out = blend.blend_networks(a, b, 8, width)
    for r, names in synthesis.layers_by_resolution(SIZE).items():
        y = expected[r]
        for name in names:
            got, lo, hi = (layer_variables(n.synthesis, name) for n in (out, a, b))
            for path in got:
                if "noise_const" in path or "seed_generator" in path:  # taken whole from the nearer model
                    np.testing.assert_array_equal(got[path], hi[path] if y >= 0.5 else lo[path])
                else:
                    np.testing.assert_allclose(got[path], (1 - y) * lo[path] + y * hi[path], rtol=1e-6, atol=1e-7)


def test_the_library_refuses_other_shapes_and_bad_swap_resolutions(models):
    a, _ = models
    with pytest.raises(ConfigError, match=r"channel_max: 8 in --low, 16 in --high"):
        blend.blend_networks(a, generator(3, channel_max=16), 8)
    for bad in (4, 12, 32):
        with pytest.raises(ConfigError, match=r"one of 8, 16\."):
            blend.blend_networks(a, a, bad)


def cli(*flags):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-m", "tfgan.blend", *flags], capture_output=True, text=True, env=env, timeout=300
    )


def test_blend_cli_exports_a_generator_that_loads_without_tfgan_helpers(exported, models):
    out = exported["root"] / "out"
    done = cli(
        f"--low={exported['a']}", f"--high={os.path.dirname(exported['b'])}", "--swap_resolution=16", f"--out={out}"
    )
    assert done.returncode == 0, done.stderr
    version = str(out / "1")
    meta = exports.load_metadata(version)
    assert meta["family"] == "stylegan" and meta["num_ws"] == synthesis.num_ws(SIZE)
    assert meta["blend"] == {"low": exported["a"], "high": exported["b"], "swap_resolution": 16, "blend_width": 0.0}
    assert meta["layers"] == synthesis.layer_map(SIZE)
    blended, ga, gb = (tf.saved_model.load(p).signatures["synthesize"] for p in (version, exported["a"], exported["b"]))
    w_plus = tf.constant(np.random.default_rng(0).normal(size=[3, synthesis.num_ws(SIZE), 8]).astype("float32"))
    images = {k: s(w_plus=w_plus)["images"].numpy() for k, s in (("ab", blended), ("a", ga), ("b", gb))}
    # Swapping only the last resolution: the image differs from A's (and from B's, whose 4-8 px differ).
    assert not np.array_equal(images["ab"], images["a"]) and not np.array_equal(images["ab"], images["b"])
    # The same pixels as the library's swap of the same models.
    a, b = models
    lib = blend.blend_networks(a, b, 16).synthesis(w_plus, training=False)
    np.testing.assert_array_equal(images["ab"], to_uint8(lib, export.VALUE_RANGE).numpy())
    # Mapping and truncation centre are A's.
    mapping = {p: tf.saved_model.load(p).signatures["mapping"] for p in (version, exported["a"])}
    z = tf.constant(np.ones([2, 8], "float32"))
    w = [m(z=z, truncation=tf.constant(0.5))["w_plus"].numpy() for m in mapping.values()]
    np.testing.assert_array_equal(w[0], w[1])


def test_a_blend_of_a_model_with_itself_is_that_model(exported, models):
    a, _ = models
    out = blend.blend_networks(a, a, 8, 0.5)
    w_plus = tf.constant(np.random.default_rng(1).normal(size=[2, synthesis.num_ws(SIZE), 8]).astype("float32"))
    np.testing.assert_allclose(out.synthesis(w_plus), a.synthesis(w_plus), rtol=1e-6, atol=1e-6)
    loaded = loading.load_generator(exported["a"], "--low")
    np.testing.assert_array_equal(loaded.synthesis(w_plus), a.synthesis(w_plus))


@pytest.mark.parametrize(
    "flags, message",
    [
        (("--high={wide}", "--swap_resolution=8"), "channel_max: 8 in --low, 16 in --high"),
        (("--high={b}", "--swap_resolution=32"), "one of 8, 16."),
    ],
)
def test_blend_cli_errors_are_one_line_and_leave_no_export(exported, flags, message):
    out = exported["root"] / "refused"
    flags = [f.format(**{k: str(v) for k, v in exported.items()}) for f in flags]
    done = cli(f"--low={exported['a']}", *flags, f"--out={out}")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and message in lines[0], done.stderr
    assert not out.exists()
