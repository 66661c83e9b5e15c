"""Class-conditional GANs (--conditional): networks, training, grids, export, sampling, evaluation."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests._util import run_keras_free, run_module, tiny_config
from tfgan import training
from tfgan.errors import ConfigError, TfganError
from tfgan.families.image import conditioning, evaluation, networks, summaries, trainer
from tfgan.families.image import export as exporting
from tfgan.families.image.model import GAN
from tfgan.run import exports

LATENT = 100
SHAPE = (8, 8, 1)


@pytest.mark.parametrize("model", ["mlp", "dcgan"])
def test_conditional_networks_take_labels_and_the_label_changes_the_output(model):
    keras.utils.set_random_seed(0)
    nets = networks.build(model, LATENT, SHAPE, num_classes=10)
    z = np.random.default_rng(0).normal(size=(4, LATENT)).astype(np.float32)
    a = nets.generator([z, np.array([0, 1, 2, 3], np.int32)], training=False)
    b = nets.generator([z, np.array([5, 1, 2, 3], np.int32)], training=False)
    assert a.shape == (4, *SHAPE)
    assert not np.allclose(a[0], b[0]) and np.allclose(a[1:], b[1:])  # only the changed row changes
    a = np.asarray(a)
    logits = nets.discriminator([a, np.array([0, 1, 2, 3], np.int32)], training=False)
    other = nets.discriminator([a, np.array([7, 1, 2, 3], np.int32)], training=False)
    assert logits.shape == (4, 1) and not np.allclose(logits[0], other[0]) and np.allclose(logits[1:], other[1:])


def test_unconditional_networks_are_unchanged_single_input_models():
    for model in ("mlp", "dcgan"):
        nets = networks.build(model, LATENT, SHAPE)
        assert isinstance(nets.generator, keras.Sequential) and isinstance(nets.discriminator, keras.Sequential)
        assert not any(isinstance(layer, keras.layers.Embedding) for layer in nets.generator._flatten_layers())


def test_projection_discriminator_is_psi_of_phi_plus_the_class_projection():
    keras.utils.set_random_seed(1)
    phi = [keras.layers.Flatten(), keras.layers.Dense(6, activation="relu")]
    d = conditioning.projection_discriminator(SHAPE, phi, num_classes=3)
    x = np.random.default_rng(1).uniform(-1, 1, size=(5, *SHAPE)).astype(np.float32)
    y = np.array([0, 1, 2, 1, 0], np.int32)
    h = phi[1](phi[0](x)).numpy()
    psi = d.get_layer("psi")
    embed = next(layer for layer in d.layers if isinstance(layer, conditioning.ClassProjection)).dense
    w, b = psi.kernel.numpy(), psi.bias.numpy()
    expected = h @ w + b + np.sum(embed.kernel.numpy()[y] * h, axis=1, keepdims=True)
    np.testing.assert_allclose(d([x, y]).numpy(), expected, rtol=1e-5, atol=1e-6)


def make_gan(num_classes, model="dcgan"):
    keras.utils.set_random_seed(0)
    nets = networks.build(model, 8, SHAPE, num_classes=num_classes)
    gan = GAN(nets.generator, nets.discriminator, latent_dim=8, noise=nets.noise, seed=0, num_classes=num_classes)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    gan.build_optimizers()
    return gan


def embedding_weights(model):
    return [v.numpy().copy() for v in model.trainable_variables if "embedding" in v.path]


def changed_rows(before, after):
    return sorted(np.nonzero(np.any(before != after, axis=1))[0].tolist())


def test_d_step_uses_the_real_labels_and_sampled_labels_for_fakes_and_g_step_its_own():
    gan = make_gan(10)
    drawn = iter([5, 7])  # the D step's fake labels, then the G step's
    gan.sample_labels = lambda n: tf.fill([n], next(drawn))
    real = tf.random.stateless_uniform((16, *SHAPE), (1, 2), -1, 1)
    d_before, g_before = embedding_weights(gan.discriminator), embedding_weights(gan.generator)
    gan._d_step(real, tf.fill([16], 3))
    d_mid, g_mid = embedding_weights(gan.discriminator), embedding_weights(gan.generator)
    assert len(d_before) == len(g_before) == 1
    # D's class embedding: the row of the real labels (3) and of the fakes' (5), nothing else; G untouched.
    assert changed_rows(d_before[0], d_mid[0]) == [3, 5]
    np.testing.assert_array_equal(g_before[0], g_mid[0])
    gan._g_step(16)
    g_after = embedding_weights(gan.generator)
    assert changed_rows(g_mid[0], g_after[0]) == [7]
    np.testing.assert_array_equal(d_mid[0], embedding_weights(gan.discriminator)[0])


def test_train_step_reads_the_batch_labels():
    gan = make_gan(10)
    gan.sample_labels = lambda n: tf.fill([n], 0)
    before = embedding_weights(gan.discriminator)[0]
    real = tf.random.stateless_uniform((1, 16, *SHAPE), (1, 2), -1, 1)
    gan.train_step({"image": real, "label": tf.fill([1, 16], 6)})
    assert changed_rows(before, embedding_weights(gan.discriminator)[0]) == [0, 6]


def test_unconditional_gan_draws_no_labels():
    gan = make_gan(None)
    assert gan.sample_labels(4) is None
    state = gan.seed_generator.state.numpy().copy()
    gan.sample_labels(4)
    np.testing.assert_array_equal(state, gan.seed_generator.state.numpy())  # the noise stream is untouched


def test_sampled_labels_cover_the_classes():
    gan = make_gan(10)
    labels = gan.sample_labels(2000).numpy()
    assert labels.dtype == np.int32 and labels.min() == 0 and labels.max() == 9
    assert np.bincount(labels, minlength=10).min() > 150  # about 200 each: uniform


def test_config_rejects_num_classes_without_conditional_and_unlabelled_data(tmp_path):
    with pytest.raises(ConfigError, match="--num_classes only applies to conditional models"):
        tiny_config(tmp_path, num_classes=10)
    np.savez(tmp_path / "x.npz", x=np.zeros((32, 8, 8), np.uint8))
    config = tiny_config(tmp_path / "run", dataset=f"npz:{tmp_path / 'x.npz'}", conditional=True)
    with pytest.raises(ConfigError, match="--conditional needs class labels.*drop --conditional"):
        training.train(config, verbose=0)
    with pytest.raises(ConfigError, match="--num_classes=5 is less than the 10 classes"):
        training.train(tiny_config(tmp_path / "run2", conditional=True, num_classes=5), verbose=0)


@pytest.fixture(scope="module")
def conditional_run(tmp_path_factory):
    """A tiny conditional dcgan trained 2 steps on 8x8 digits, and its export."""
    config = tiny_config(tmp_path_factory.mktemp("cond"), steps=2, conditional=True, eval_every=2)
    return training.train(config, verbose=0)


def test_conditional_run_resolves_classes_and_draws_one_grid_row_per_class(conditional_run):
    config = json.loads(open(conditional_run.config.model_dir + "/config.json").read())
    assert config["conditional"] is True and config["num_classes"] == 10
    png = tf.io.decode_png(open(conditional_run.samples_png, "rb").read()).numpy()
    # 8x8 cells are enlarged to summaries.MIN_CELL (64) pixels, with 1 pixel of padding: 10 class rows, 8 columns.
    cols = trainer.CONDITIONAL_COLUMNS
    cell = summaries.MIN_CELL + 1
    assert summaries.MIN_CELL == 64 and png.shape[:2] == (10 * cell + 1, cols * cell + 1)
    z, labels = trainer.fixed_inputs(conditional_run.config.seed, conditional_run.config.params, "normal")
    assert labels.tolist() == [c for c in range(10) for _ in range(cols)]
    np.testing.assert_array_equal(z[:cols], z[cols : 2 * cols])  # each row: the same z


def test_conditional_run_logs_the_parzen_estimate(conditional_run):
    import glob

    values = [
        float(tf.make_ndarray(v.tensor))
        for path in glob.glob(conditional_run.config.model_dir + "/logs/events.out.tfevents.*")
        for event in tf.compat.v1.train.summary_iterator(path)
        for v in event.summary.value
        if v.tag == "eval/parzen_ll"
    ]
    assert len(values) == 1 and np.isfinite(values[0])


# Runs in a fresh interpreter without tfgan or keras.
FRESH = r"""
import sys
import numpy as np
import tensorflow as tf
export_dir, z_path, out_path = sys.argv[1:]
model = tf.saved_model.load(export_dir)
z = np.load(z_path)
serve, sample = model.signatures["serving_default"], model.signatures["sample"]
label = tf.constant([0, 1, 2, 3], tf.int32)
out = {
    "a": serve(z=tf.constant(z), label=label)["images"].numpy(),
    "b": serve(z=tf.constant(z), label=label)["images"].numpy(),
    "other": serve(z=tf.constant(z), label=tf.constant([9, 8, 7, 6], tf.int32))["images"].numpy(),
    "seed": sample(seed=tf.constant([1, 2, 3, 4], tf.int64), label=label)["images"].numpy(),
}
errors = []
for bad in ([0, 1, 2, 10], [0, 1, 2, -1], [0, 1]):
    try:
        serve(z=tf.constant(z), label=tf.constant(bad, tf.int32))
        errors.append("accepted")
    except tf.errors.InvalidArgumentError as e:
        errors.append(" ".join(e.message.split()))
np.savez(out_path, **out)
print("ERRORS:" + "|".join(errors))
print("IMPORTED:" + ",".join(sorted(m for m in sys.modules if m.split(".")[0] in ("tfgan", "keras"))))
"""


def test_conditional_export_takes_labels_in_a_fresh_process(conditional_run, tmp_path):
    z = np.random.default_rng(0).normal(size=(4, LATENT)).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    proc = run_keras_free(tmp_path, FRESH, conditional_run.export_dir, str(tmp_path / "z.npy"), str(tmp_path / "o.npz"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = np.load(tmp_path / "o.npz")
    assert out["a"].shape == (4, *SHAPE) and out["a"].dtype == np.uint8
    np.testing.assert_array_equal(out["a"], out["b"])
    assert all(not np.array_equal(out["a"][i], out["other"][i]) for i in range(4))
    errors = proc.stdout.split("ERRORS:")[1].splitlines()[0].split("|")
    assert "label must be < 10" in errors[0] and "label must be >= 0" in errors[1]
    assert "same length" in errors[2]
    assert proc.stdout.rstrip().endswith("IMPORTED:")  # neither tfgan nor keras
    # The in-memory generator gives the same images for the same (z, label).
    config = conditional_run.config
    nets = networks.build(config.model, config.latent_dim, SHAPE, num_classes=10)
    ckpt = tf.train.latest_checkpoint(config.model_dir + "/checkpoints")
    tf.train.Checkpoint(generator=nets.generator).restore(ckpt).expect_partial()
    from tfgan.images import to_uint8

    expected = to_uint8(nets.generator([z, np.array([0, 1, 2, 3], np.int32)]), nets.output_range).numpy()
    assert np.abs(expected.astype(int) - out["a"].astype(int)).max() <= 1
    meta = exports.load_metadata(conditional_run.export_dir)
    assert meta["num_classes"] == 10 and meta["signatures"]["sample"]["inputs"]["label"] == ["int32", [None]]


def test_sample_cli_label_option(conditional_run, tmp_path):
    result = run_module(
        "tfgan.sample",
        f"--export_dir={conditional_run.export_dir}",
        "--num=6",
        "--label=4",
        f"--out={tmp_path / 'four.png'}",
        f"--npy={tmp_path / 'four.npy'}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    four = np.load(tmp_path / "four.npy")
    direct = exporting.sample_images(conditional_run.export_dir, np.arange(6), np.full(6, 4))
    np.testing.assert_array_equal(four, direct)
    assert not np.array_equal(four, exporting.sample_images(conditional_run.export_dir, np.arange(6), np.full(6, 5)))
    result = run_module(
        "tfgan.sample", f"--export_dir={conditional_run.export_dir}", "--label=10", f"--out={tmp_path / 'x.png'}"
    )
    assert result.returncode != 0 and "labels must be in 0..9" in result.stderr and "Traceback" not in result.stderr
    with pytest.raises(TfganError, match="give labels"):
        exporting.sample_images(conditional_run.export_dir, [0, 1])


def test_label_is_refused_by_an_unconditional_export(tmp_path):
    run = training.train(tiny_config(tmp_path / "run", steps=1), verbose=0)
    result = run_module("tfgan.sample", f"--export_dir={run.export_dir}", "--label=3", f"--out={tmp_path / 'x.png'}")
    assert (
        result.returncode != 0 and "not a conditional generator" in result.stderr and "Traceback" not in result.stderr
    )


def test_conditional_accuracy_by_hand():
    accuracy, per_class = evaluation.conditional_accuracy([0, 1, 1, 2, 2, 0], [0, 1, 2, 2, 2, 1])
    assert accuracy == pytest.approx(4 / 6)
    assert per_class == pytest.approx([1.0, 0.5, 2 / 3])


def test_evaluate_reports_the_class_accuracy_of_a_conditional_export(conditional_run, tmp_path):
    config = evaluation.EvalConfig(
        export_dir=conditional_run.export_dir,
        dataset="digits",
        num_samples=100,
        parzen=False,
        train_classifier=True,
        classifier_epochs=1,
        classifier_dir=str(tmp_path / "clf"),
    )
    results = evaluation.evaluate(config)
    k = results["classifier"]
    assert results["num_classes"] == 10 and len(k["class_accuracy_per_class"]) == 10
    # The same figure by hand: the cached classifier on the export's images of the asked classes.
    classifier = keras.saving.load_model(next((tmp_path / "clf").glob("*.keras")))
    asked = np.arange(100) % 10
    images = exporting.sample_images(conditional_run.export_dir, np.arange(100), asked)
    predicted = np.argmax(classifier.predict(images, verbose=0), axis=1)
    assert k["class_accuracy"] == pytest.approx(np.mean(predicted == asked))
    assert "class accuracy (asked label)" in evaluation.format_table(results)


def test_conditional_mlp_trains_and_exports(tmp_path):
    result = training.train(tiny_config(tmp_path, model="mlp", steps=2, conditional=True), verbose=0)
    assert result.step == 2 and np.isfinite(result.logs["d_loss"]) and np.isfinite(result.logs["g_loss"])
    images = exporting.sample_images(result.export_dir, [0, 1], [2, 7])
    assert images.shape == (2, *SHAPE)
