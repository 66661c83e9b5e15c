"""The extensions of the 2014 GAN, end to end: losses, penalties, SN, DiffAugment, EMA."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests._util import tiny_config
from tfgan import config as config_lib
from tfgan import training
from tfgan.errors import ConfigError
from tfgan.families.image import networks, trainer
from tfgan.families.image.model import GAN, can_fuse
from tfgan.images import to_uint8
from tfgan.run import exports

# The generators' pixel ranges (the pipeline scales real images to the same).
OUTPUT_RANGE = (-1.0, 1.0)  # dcgan's, the tiny runs' model
MODEL_RANGES = {"mlp": (0.0, 1.0), "dcgan": (-1.0, 1.0), "resnet": (-1.0, 1.0)}

EXTENSIONS = {
    "wasserstein_gp": dict(loss="wasserstein", gp_weight=10.0, d_steps=2),
    "hinge_sn": dict(loss="hinge", spectral_norm=True),
    "least_squares": dict(loss="least_squares"),
    "r1_lazy": dict(r1_gamma=1.0, r1_interval=2, d_steps=2),
    "diffaugment": dict(diffaugment="color,translation,cutout"),
    "ema": dict(ema_decay=0.9),
}


@pytest.mark.parametrize("name", EXTENSIONS)
def test_extension_trains_end_to_end(tmp_path, name):
    result = training.train(tiny_config(tmp_path, steps=3, **EXTENSIONS[name]), verbose=0)
    assert result.step == 3
    assert result.logs and all(np.isfinite(v) for v in result.logs.values()), result.logs
    for metric, on in (("gp", "gp_weight"), ("r1", "r1_gamma")):
        assert (metric in result.logs) == (on in EXTENSIONS[name])
    assert tf.train.latest_checkpoint(os.path.join(tmp_path, "checkpoints")).endswith("-3")
    assert os.path.exists(os.path.join(result.export_dir, "saved_model.pb"))
    assert exports.load_metadata(result.export_dir)["loss"] == tiny_config(tmp_path, **EXTENSIONS[name]).loss


def make_gan(**extensions):
    keras.utils.set_random_seed(0)
    nets = networks.build("dcgan", 16, (8, 8, 1), spectral_norm=extensions.pop("spectral_norm", False))
    gan = GAN(nets.generator, nets.discriminator, latent_dim=16, noise=nets.noise, seed=0)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2), loss="hinge", extensions=extensions)
    gan.build_optimizers()
    return gan


def test_ema_after_one_step_by_hand():
    gan = make_gan(ema_decay=0.75)
    old = [v.numpy().copy() for v in gan.generator.trainable_variables]
    np.testing.assert_array_equal(old[0], gan.ema_generator.trainable_variables[0].numpy())
    gan._g_step(8)
    new = [v.numpy() for v in gan.generator.trainable_variables]
    for e, o, n in zip(gan.ema_generator.trainable_variables, old, new, strict=True):
        assert not np.allclose(o, n)
        np.testing.assert_allclose(e.numpy(), 0.75 * o + 0.25 * n, rtol=1e-5, atol=1e-7)
    # BatchNorm's moving statistics are copied, not averaged.
    bn = [v for v in gan.generator.non_trainable_variables if "moving" in v.path]
    ema_bn = [v for v in gan.ema_generator.non_trainable_variables if "moving" in v.path]
    assert bn and all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(bn, ema_bn, strict=True))
    assert gan.sampling_generator is gan.ema_generator


def test_extensions_off_leave_the_steps_unchanged():
    real = tf.random.stateless_uniform((8, 8, 8, 1), [0, 1], -1, 1)
    weights = []
    for gan in (make_gan(), make_gan(diffaugment="", ema_decay=0.0, gp_weight=0.0, r1_gamma=0.0)):
        assert gan.ema_generator is None and gan.sampling_generator is gan.generator
        gan._d_step(real)
        gan._g_step(8)
        weights.append(gan.generator.get_weights() + gan.discriminator.get_weights())
    assert all(np.array_equal(a, b) for a, b in zip(*weights, strict=True))


def restored_run(model_dir):
    """The `GAN` of the run in `model_dir`, as a fresh process rebuilds it from its checkpoint."""
    return training.build(training.load_saved_config(str(model_dir)))[1].model


def exported_images(export_dir, z):
    return tf.saved_model.load(export_dir).signatures["serving_default"](z=tf.constant(z))["images"].numpy()


def test_export_and_resume_use_the_ema_generator(tmp_path):
    config = tiny_config(tmp_path, steps=3, ema_decay=0.9, lr=0.05, deterministic=True)
    result = training.train(config, verbose=0)
    z = np.random.default_rng(0).standard_normal((8, config.latent_dim)).astype(np.float32)
    exported = exported_images(result.export_dir, z)
    run = restored_run(tmp_path)
    ema_images = to_uint8(run.ema_generator(z, training=False), OUTPUT_RANGE).numpy()
    g_images = to_uint8(run.generator(z, training=False), OUTPUT_RANGE).numpy()
    assert np.abs(ema_images.astype(int) - exported.astype(int)).max() <= 1
    assert np.abs(g_images.astype(int) - exported.astype(int)).max() > 10  # EMA, not G, was exported
    # export_from_run_dir takes the EMA generator from the checkpoint too.
    again = training.export_from_run_dir(str(tmp_path))
    np.testing.assert_array_equal(exported_images(again, z), exported)


@pytest.mark.parametrize("model", ["mlp", "dcgan", "resnet"])
def test_conditional_models_take_every_extension_at_once(tmp_path, model):
    # Part A's hooks (penalties, DiffAugment, EMA, spectral norm) and part B's
    # labels meet in the same step: the penalties see the real labels and the
    # EMA copy of a two-input generator is what gets exported.
    config = tiny_config(
        tmp_path,
        model=model,
        conditional=True,
        loss="wasserstein",
        gp_weight=10.0,
        r1_gamma=1.0,
        r1_interval=2,
        ema_decay=0.9,
        diffaugment="translation,cutout,color",
        spectral_norm=True,
        d_steps=2,
        steps=3,
    )
    result = training.train(config, verbose=0)
    assert result.step == 3
    assert all(np.isfinite(result.logs[k]) for k in ("d_loss", "g_loss", "gp", "r1"))
    serve = tf.saved_model.load(result.export_dir).signatures["serving_default"]
    z = tf.zeros((2, config.latent_dim))
    images = serve(z=z, label=tf.constant([0, 1], tf.int32))["images"].numpy()
    assert images.shape == (2, 8, 8, 1)
    run = restored_run(tmp_path)
    ema = to_uint8(run.ema_generator([z, tf.constant([0, 1])], training=False), MODEL_RANGES[model])
    assert np.abs(ema.numpy().astype(int) - images.astype(int)).max() <= 1


def spectral_norms(discriminator):
    out = []
    for layer in discriminator.layers:
        if isinstance(layer, keras.layers.SpectralNormalization):
            kernel = layer.layer.kernel.numpy()
            out.append(np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0])
    return out


def test_spectral_norm_wraps_d_and_keeps_its_layers_near_1_lipschitz():
    gan = make_gan(spectral_norm=True)
    assert len(spectral_norms(gan.discriminator)) == 2  # the conv and the dense of an 8x8 dcgan D
    assert max(abs(s - 1) for s in spectral_norms(gan.discriminator)) > 0.3  # before training: glorot weights
    real = tf.random.stateless_uniform((16, 8, 8, 1), [0, 0], -1, 1)
    for _ in range(10):  # it trains, and u converges by one power iteration per call
        gan._d_step(real)
    # Each training-mode call divides the kernels by their estimated norms
    # (after which the optimiser's update moves them a little again).
    gan.discriminator(real, training=True)
    assert spectral_norms(gan.discriminator) == pytest.approx([1.0, 1.0], abs=0.05)
    plain = networks.build("dcgan", 16, (8, 8, 1)).discriminator
    assert not any(isinstance(layer, keras.layers.SpectralNormalization) for layer in plain.layers)


def test_mlp_spectral_norm_wraps_maxout_and_output():
    d = networks.build("mlp", 8, (4, 4, 1), spectral_norm=True).discriminator
    d(tf.zeros((2, 4, 4, 1)), training=True)
    wrapped = [v for v in d.variables if "vector_u" in v.path]
    assert len(wrapped) == 3


def test_wgan_gp_preset_is_the_papers_setting():
    config = config_lib.resolve("wgan_gp_mnist")
    assert (config.loss, config.gp_weight, config.d_steps, config.model) == ("wasserstein", 10.0, 5, "dcgan")
    assert (config.optimizer, config.lr, config.beta_1, config.beta_2) == ("adam", 1e-4, 0.0, 0.9)
    assert config.dataset == "tfds:mnist"
    # The penalty needs per-example gradients: the dcgan D has no BatchNorm.
    d = networks.build("dcgan", 16, (28, 28, 1)).discriminator
    assert can_fuse(d)
    opt_d, _ = trainer.make_optimizers(config.params, 100)
    assert (float(opt_d.beta_1), float(opt_d.beta_2)) == (0.0, 0.9)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("gp_weight", -1.0, "--gp_weight must be a number >= 0"),
        ("r1_gamma", float("nan"), "--r1_gamma must be a number >= 0"),
        ("r1_interval", 0, "--r1_interval must be a positive integer"),
        ("ema_decay", 1.0, r"--ema_decay must be in \[0, 1\)"),
        ("beta_2", 1.5, r"--beta_2 must be in \[0, 1\)"),
        ("diffaugment", "translation,flip", "unknown DiffAugment transform.*flip.*choose from"),
        ("loss", "wgan", "--loss='wgan' is unknown; choose one of: .*wasserstein, hinge, least_squares"),
    ],
)
def test_bad_extension_options_fail_clearly(tmp_path, field, value, message):
    with pytest.raises(ConfigError, match=message):
        tiny_config(tmp_path, **{field: value})


def test_ema_switched_on_at_a_resume_starts_from_the_restored_g(tmp_path):
    training.train(tiny_config(tmp_path, steps=1, export=False, deterministic=True), verbose=0)
    g1 = [v.numpy() for v in restored_run(tmp_path).generator.trainable_variables]
    result = training.train(tiny_config(tmp_path, steps=2, ema_decay=0.9, deterministic=True), verbose=0)
    assert result.step == 2
    run = restored_run(tmp_path)
    g2 = [v.numpy() for v in run.generator.trainable_variables]
    assert any(not np.array_equal(a, b) for a, b in zip(g1, g2, strict=True))  # the resumed step trained G
    for e, a, b in zip(run.ema_generator.trainable_variables, g1, g2, strict=True):
        np.testing.assert_allclose(e.numpy(), 0.9 * a + 0.1 * b, rtol=1e-5, atol=1e-6)
    z = np.random.default_rng(0).standard_normal((8, 100)).astype(np.float32)
    ema_images = to_uint8(run.ema_generator(z, training=False), OUTPUT_RANGE).numpy()
    assert np.abs(ema_images.astype(int) - exported_images(result.export_dir, z).astype(int)).max() <= 1


def test_ema_switched_off_at_a_resume_exports_g(tmp_path):
    training.train(tiny_config(tmp_path, steps=1, export=False, ema_decay=0.9), verbose=0)
    result = training.train(tiny_config(tmp_path, steps=2), verbose=0)
    assert result.step == 2 and training.load_saved_config(str(tmp_path)).ema_decay == 0
    run = restored_run(tmp_path)
    z = np.random.default_rng(0).standard_normal((8, 100)).astype(np.float32)
    g_images = to_uint8(run.generator(z, training=False), OUTPUT_RANGE).numpy()
    assert np.abs(g_images.astype(int) - exported_images(result.export_dir, z).astype(int)).max() <= 1


def test_export_of_a_run_whose_ema_has_no_checkpoint_yet_takes_g(tmp_path):
    # --ema_decay switched on at a resume that stopped before its first
    # checkpoint: config.json has the EMA, the checkpoint does not.
    training.train(tiny_config(tmp_path, steps=1, export=False), verbose=0)
    saved = training.load_saved_config(str(tmp_path))
    with open(os.path.join(tmp_path, "config.json"), "w") as f:
        f.write(saved.replace(ema_decay=0.9).to_json())
    export_dir = training.export_from_run_dir(str(tmp_path))
    run = restored_run(tmp_path)
    z = np.random.default_rng(0).standard_normal((8, 100)).astype(np.float32)
    g_images = to_uint8(run.generator(z, training=False), OUTPUT_RANGE).numpy()
    np.testing.assert_array_equal(exported_images(export_dir, z), g_images)


def test_cli_flags_reach_the_config(tmp_path):
    from tests._util import TINY_FLAGS, run_module

    flags = ["--loss=wasserstein", "--gp_weight=10", "--d_steps=2", "--beta_1=0", "--beta_2=0.9"]
    flags += ["--spectral_norm", "--diffaugment=translation", "--ema_decay=0.5", "--r1_gamma=0.1", "--r1_interval=4"]
    proc = run_module("tfgan.train", *TINY_FLAGS, "--steps=2", "--export=false", f"--model_dir={tmp_path}", *flags)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "critic: mean D(x)=" in proc.stdout and "equilibrium" not in proc.stdout
    saved = training.load_saved_config(str(tmp_path))
    assert (saved.gp_weight, saved.beta_2, saved.spectral_norm, saved.diffaugment) == (10.0, 0.9, True, "translation")
    assert (saved.ema_decay, saved.r1_gamma, saved.r1_interval) == (0.5, 0.1, 4)


def test_cli_unknown_augmentation_is_a_clear_error(tmp_path):
    from tests._util import TINY_FLAGS, run_module

    proc = run_module("tfgan.train", *TINY_FLAGS, f"--model_dir={tmp_path}", "--diffaugment=translation,flip")
    assert proc.returncode == 2
    assert "unknown DiffAugment transform(s) flip; choose from: color, translation, cutout" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_extensions_train_on_two_replicas_with_identical_copies():
    import subprocess
    import sys

    from tests._util import ROOT, cli_env

    script = os.path.join(ROOT, "tests", "_extensions_mirrored.py")
    proc = subprocess.run([sys.executable, script], capture_output=True, text=True, env=cli_env(), timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = [line.split() for line in proc.stdout.splitlines() if line.startswith("RESULT")]
    assert [r[1] for r in results] == ["gp", "r1_lazy", "diffaugment", "ema", "spectral_norm"]
    for _, name, finite, spread, d_updates in results:
        assert finite == "True", name
        assert float(spread) == 0.0, name  # every replica holds the same G, D and EMA weights
        assert int(d_updates) == 4, name  # 2 steps x k=2, counted once, not once per replica
