"""LPIPS and ArcFace IR-SE50 from converted PyTorch weights: equal to the reference networks, and pSp's losses.

The reference outputs in tests/fixtures/torch_references.json were computed
by the ``lpips`` package and pSp's own IR-SE50 (PyTorch) on weights drawn
from a seed (tests/fixtures/torch_references.py); the same weights are
rebuilt here without PyTorch.
"""

import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests._torch_reference import load_fixture, reference_state, seeded_images
from tests.psp.conftest import psp_config
from tests.stylegan.helpers import changed, real_batch, values
from tfgan import lpips, training
from tfgan.errors import ConfigError
from tfgan.families.psp import irse, networks, trainer
from tfgan.families.psp.export import encode_images, load_encoder
from tfgan.families.psp.losses import psp_identity_loss, psp_lpips_loss
from tfgan.families.psp.model import adam
from tfgan.families.psp.params import PSPParams, active_losses
from tfgan.families.stylegan.loading import load_generator
from tfgan.torchweights import WeightsError, write_state

REFERENCE = load_fixture()


@pytest.mark.parametrize("net", ["alex", "vgg"])
def test_lpips_equals_the_lpips_package_on_the_same_weights(net):
    ref = REFERENCE[f"lpips_{net}"]
    model = lpips.from_state(reference_state(f"lpips_{net}"))
    x = seeded_images(ref["seed"] + 1, ref["pairs"], ref["size"])
    y = seeded_images(ref["seed"] + 2, ref["pairs"], ref["size"])
    np.testing.assert_allclose(model(x, y).numpy(), ref["distances"], rtol=1e-5)
    # pSp's loss is the batch mean of the same distances.
    np.testing.assert_allclose(float(psp_lpips_loss(model, y, x)), np.mean(ref["distances"]), rtol=1e-5)


def test_lpips_is_zero_for_the_same_image_symmetric_and_gray_is_rgb_with_equal_channels():
    model = lpips.from_state(reference_state("lpips_vgg"))
    x, y = seeded_images(1, 2, 16, 1), seeded_images(2, 2, 16, 1)
    np.testing.assert_array_equal(model(x, x).numpy(), [0.0, 0.0])
    np.testing.assert_allclose(model(x, y).numpy(), model(y, x).numpy(), rtol=1e-6)
    np.testing.assert_allclose(model(x, y).numpy(), model(np.tile(x, 3), np.tile(y, 3)).numpy(), rtol=1e-6)
    assert (model(x, y).numpy() > 0).all()


def test_images_too_small_for_alexnets_pooling_are_refused_by_name():
    model = lpips.from_state(reference_state("lpips_alex"))
    assert lpips.min_size("alex") == 31 and lpips.min_size("vgg") == 16
    model.check_size(32)
    assert all(int(t.shape[1]) >= 1 for t in model.features(np.zeros((1, 31, 31, 3), "float32")))
    with pytest.raises(ConfigError, match="LPIPS-alex needs images of at least 31 px.*these are 16 px"):
        model.check_size(16)


def test_arcface_equals_psps_ir_se50_on_the_same_weights(arcface_state):
    ref = REFERENCE["arcface"]
    faces = seeded_images(ref["seed"] + 1, 2, irse.ARCFACE_SIZE)
    arcface = irse.arcface_from_state(arcface_state)
    embeddings = arcface.network(faces).numpy()
    expected = np.array(ref["embeddings"])
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, rtol=1e-6)
    # Entries of unit vectors, about 0.04 each; 50 layers in another summation order differ by ~4e-7.
    np.testing.assert_allclose(embeddings, expected, atol=1e-5)
    # The whole of pSp's IDLoss.extract_feats: its crop of 256-px faces and adaptive pooling to 112.
    features = arcface(seeded_images(ref["seed"] + 2, 2, 256)).numpy()
    np.testing.assert_allclose(features, ref["id_features_256"], atol=1e-5)


def test_the_encoders_ir_se50_backbone_takes_arcfaces_weights_and_psps_taps(arcface_state):
    ref = REFERENCE["arcface"]
    images = keras.Input((irse.ARCFACE_SIZE, irse.ARCFACE_SIZE, 3))
    units = irse.body(irse.input_layer(images))
    body = keras.Model(images, [units[i] for i in irse.TAPS])
    irse.load_backbone(body, arcface_state)
    taps = body(seeded_images(ref["seed"] + 1, 2, irse.ARCFACE_SIZE))
    for i, tap in zip(irse.TAPS, taps, strict=True):  # pSp's c1, c2, c3: body units 6, 20, 23
        means, expected = tf.reduce_mean(tap, axis=(1, 2)).numpy()[:, :16], np.array(ref["tap_means"][str(i)])
        np.testing.assert_allclose(means, expected, atol=1e-5 * np.abs(expected).max())
    # The encoder built with that backbone reads the same taps; a gray one sums the RGB kernel.
    rgb = networks.encoder_network(32, 3, num_ws=6, w_dim=8, backbone="ir_se50")
    gray = networks.encoder_network(32, 1, num_ws=6, w_dim=8, backbone="ir_se50")
    irse.load_backbone(rgb, arcface_state)
    irse.load_backbone(gray, arcface_state)
    x = seeded_images(7, 2, 32, 1)
    tap = [f"body{i}_add" for i in irse.TAPS]
    rgb_taps = keras.Model(rgb.input, [rgb.get_layer(n).output for n in tap])(np.tile(x, 3))
    gray_taps = keras.Model(gray.input, [gray.get_layer(n).output for n in tap])(x)
    for a, b in zip(rgb_taps, gray_taps, strict=True):
        np.testing.assert_allclose(b.numpy(), a.numpy(), atol=1e-5 * np.abs(a.numpy()).max())
    assert [int(t.shape[1]) for t in rgb_taps] == [8, 4, 2]  # S/4, S/8, S/16


def test_the_identity_loss_is_one_minus_the_cosine_with_no_gradient_to_the_real_side():
    real = tf.Variable(tf.math.l2_normalize(tf.constant([[1.0, 0.0], [0.6, 0.8]]), axis=-1))
    fake = tf.Variable(tf.math.l2_normalize(tf.constant([[0.0, 1.0], [0.6, 0.8]]), axis=-1))
    with tf.GradientTape() as tape:
        loss = psp_identity_loss(real, fake)
    np.testing.assert_allclose(float(loss), ((1 - 0.0) + (1 - 1.0)) / 2, atol=1e-6)
    grad_real, grad_fake = tape.gradient(loss, [real, fake])
    assert grad_real is None and np.abs(grad_fake.numpy()).sum() > 0


def test_bad_weights_files_are_named_with_the_fix(tmp_path, arcface_state):
    with pytest.raises(WeightsError, match=r"--lpips_weights=.*nowhere.npz: no such file.*convert_weights"):
        lpips.load_lpips(str(tmp_path / "nowhere.npz"))
    pth = tmp_path / "model_ir_se50.pth"
    with zipfile.ZipFile(pth, "w") as z:  # torch.save's layout: a pickle and raw storages
        z.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
        z.writestr("archive/data/0", b"\x00" * 16)
    with pytest.raises(WeightsError, match=r"not an .npz of named arrays \(a PyTorch .pth/.pt\? convert it"):
        irse.arcface_from_state(str(pth))
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(WeightsError, match=r"junk.npz: not a readable .npz of ArcFace IR-SE50 weights"):
        irse.arcface_from_state(str(junk))
    arcface = tmp_path / "ir_se50.npz"
    write_state(arcface_state, str(arcface))
    with pytest.raises(WeightsError, match="not LPIPS weights of AlexNet or VGG16"):
        lpips.load_lpips(str(arcface))
    lpips_file = tmp_path / "lpips.npz"
    write_state(reference_state("lpips_vgg"), str(lpips_file))
    with pytest.raises(WeightsError, match=r"no tensor 'input_layer.0.weight'; this is not a ArcFace IR-SE50"):
        irse.arcface_from_state(str(lpips_file), "--id_weights")
    wrong = dict(arcface_state, **{"output_layer.3.weight": np.zeros((512, 100), np.float32)})
    with pytest.raises(WeightsError, match=r"'output_layer.3.weight' has shape \(512, 100\).*needs \(512, 25088\)"):
        irse.arcface_from_state(wrong)


def test_a_step_with_lpips_and_identity_adds_their_weighted_losses_and_trains_only_the_encoder(
    generator_run, weights_files
):
    gen = load_generator(generator_run.config.model_dir)
    given = dict(lpips_weights=weights_files["lpips"], lpips_weight=0.8, id_weights=weights_files["id"], id_weight=0.1)
    params = trainer.resolve(PSPParams(generator="g", encoder_width=4, encoder_max=8, **given), gen)
    nets = trainer.perceptual_networks(params)
    model = trainer.build_model(params, gen, **nets)
    model.compile(adam(1e-3, 0.9, 0.999))
    model.build_optimizers()
    batch = real_batch()
    real = batch["image"][0]
    fake = model.reconstruct(real)  # the step's reconstruction (BN in training mode aside)
    frozen = values(model.synthesis.variables + nets["lpips"].features.variables + nets["identity"].network.variables)
    encoder = values(model.encoder.trainable_variables)
    logs = {k: float(v) for k, v in model.train_step(batch).items()}
    assert {"lpips", "id"} <= logs.keys() and logs["lpips"] > 0 and 0 < logs["id"] <= 2
    total = logs["l2"] + 0.8 * logs["lpips"] + 0.1 * logs["id"]  # w_norm_weight 0
    np.testing.assert_allclose(logs["loss"], total, rtol=1e-5)
    assert float(psp_lpips_loss(nets["lpips"], real, fake)) > 0  # the same loss outside the step
    after = values(model.synthesis.variables + nets["lpips"].features.variables + nets["identity"].network.variables)
    for a, b in zip(frozen, after, strict=True):
        np.testing.assert_array_equal(a, b)
    assert all(changed(encoder, values(model.encoder.trainable_variables)))


def test_a_run_with_weight_zero_or_no_file_has_no_such_loss(generator_run, weights_files):
    gen = load_generator(generator_run.config.model_dir)
    off = PSPParams(generator="g", lpips_weights=weights_files["lpips"], lpips_weight=0.0)
    assert "lpips" in active_losses(off) and active_losses(off)["lpips"][0] == 0.0
    assert set(active_losses(PSPParams(generator="g"))) == {"l2", "w_norm"}
    with pytest.raises(ConfigError, match="no loss has a weight above 0"):
        PSPParams(generator="g", l2_weight=0.0, lpips_weight=0.8)  # LPIPS without its file does not count
    params = trainer.resolve(PSPParams(generator="g", encoder_width=4, encoder_max=8), gen)
    assert trainer.perceptual_networks(params) == {"lpips": None, "identity": None}


def test_an_ir_se50_encoder_starts_from_arcface_trains_exports_and_reloads(generator_run, weights_files, tmp_path):
    g = generator_run.config.model_dir
    run = training.train(
        psp_config(tmp_path / "run", g, backbone="ir_se50", backbone_weights=weights_files["id"], steps=1), verbose=0
    )
    encoder = load_encoder(run.export_dir)
    assert encoder.meta["backbone"] == "ir_se50" and "body23_add" in {layer.name for layer in encoder.encoder.layers}
    # The export's SavedModel and the encoder rebuilt from its metadata give the same codes.
    images = (seeded_images(5, 2, 16, 1) * 127 + 128).astype(np.uint8)
    rebuilt = encoder.encode(images.astype(np.float32) / 127.5 - 1.0).numpy()
    np.testing.assert_allclose(rebuilt, encode_images(encoder.path, images), rtol=1e-5, atol=1e-5)
    # Started from ArcFace's weights (one step of Adam at 5e-4 moves each weight by about that).
    kernel = encoder.encoder.get_layer("body10_conv0").kernel.numpy()
    arcface = reference_state("arcface")["body.10.res_layer.1.weight"].transpose(2, 3, 1, 0)
    np.testing.assert_allclose(kernel, arcface, atol=2e-3)
