import json

import numpy as np
import pytest
import tensorflow as tf

from tests._util import run_keras_free
from tfgan.families.translation import export, networks
from tfgan.images import to_uint8

SIZE = 8


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Two tiny random generators exported as a translator (training size 8, grey)."""
    g_ab = networks.resnet_generator(1, filters=4, blocks=1, name="g_ab")
    g_ba = networks.resnet_generator(1, filters=4, blocks=1, name="g_ba")
    directory = str(tmp_path_factory.mktemp("translator") / "1")
    translator = export.keras_translator(g_ab, g_ba, image_size=SIZE, channels=1, multiple=4)
    meta = export.write_translator(directory, translator, facts={"family": "translation"})
    with open(f"{directory}/metadata.json", "w") as f:
        json.dump(meta, f)
    return directory, g_ab, g_ba, tf.saved_model.load(directory)


def _images(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape).astype(np.uint8)


FRESH = """
import sys
import numpy as np
import tensorflow as tf
model = tf.saved_model.load(sys.argv[1])
x = np.load(sys.argv[2])
np.savez(sys.argv[3], a_to_b=model.signatures["a_to_b"](images=tf.constant(x))["images"].numpy(),
         b_to_a=model.signatures["b_to_a"](images=tf.constant(x))["images"].numpy(),
         default=model.signatures["serving_default"](images=tf.constant(x))["images"].numpy())
# Keras is hidden (importing it fails) and tfgan is never imported by loading the export.
print("LOADED WITH:", sorted(m for m in ("tfgan", "pipelines", "keras") if m in sys.modules))
"""


def test_a_fresh_process_without_tfgan_or_keras_gives_the_same_pixels(exported, tmp_path):
    directory, _, _, model = exported
    x = _images((3, 13, 9, 3))
    np.save(tmp_path / "x.npy", x)
    proc = run_keras_free(tmp_path, FRESH, directory, str(tmp_path / "x.npy"), str(tmp_path / "out.npz"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "LOADED WITH: []" in proc.stdout, proc.stdout
    out = np.load(tmp_path / "out.npz")
    np.testing.assert_array_equal(out["a_to_b"], model.signatures["a_to_b"](images=tf.constant(x))["images"].numpy())
    np.testing.assert_array_equal(out["b_to_a"], model.signatures["b_to_a"](images=tf.constant(x))["images"].numpy())
    np.testing.assert_array_equal(out["default"], out["a_to_b"])


def test_the_export_computes_what_the_generator_computes(exported):
    _, g_ab, _, model = exported
    x = _images((2, SIZE, SIZE, 1))
    expected = to_uint8(g_ab(x.astype(np.float32) / 127.5 - 1.0, training=False), (-1.0, 1.0)).numpy()
    got = model.signatures["a_to_b"](images=tf.constant(x))["images"].numpy()
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1


@pytest.mark.parametrize("shape", [(1, 8, 8, 1), (2, 5, 17, 1), (1, 31, 12, 2), (3, 9, 9, 3), (1, 40, 24, 4)])
def test_any_size_and_channel_count_comes_back_at_the_input_shape(exported, shape):
    model = exported[3]
    x = _images(shape)
    out = model.signatures["a_to_b"](images=tf.constant(x))["images"].numpy()
    assert out.shape == shape and out.dtype == np.uint8
    if shape[-1] in (2, 4):  # alpha passes through
        np.testing.assert_array_equal(out[..., -1], x[..., -1])
    if shape[-1] >= 3:  # a grey model's output is grey in every colour channel
        np.testing.assert_array_equal(out[..., 0], out[..., 1])


def test_native_serve_size_runs_at_the_inputs_own_size(tmp_path):
    g = networks.resnet_generator(1, filters=4, blocks=1)
    translator = export.keras_translator(
        g, None, image_size=SIZE, channels=1, multiple=4, min_size=8, serve_size="native"
    )
    export.write_translator(str(tmp_path / "v"), translator, facts={})
    model = tf.saved_model.load(str(tmp_path / "v"))
    assert "b_to_a" not in model.signatures
    x = _images((1, 16, 12, 1))  # already a multiple of 4: exactly G on the image
    expected = to_uint8(g(x.astype(np.float32) / 127.5 - 1.0, training=False), (-1.0, 1.0)).numpy()
    got = model.signatures["a_to_b"](images=tf.constant(x))["images"].numpy()
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1
    odd = _images((1, 3, 7, 1))  # smaller than the padding a reflect pad allows
    assert model.signatures["a_to_b"](images=tf.constant(odd))["images"].shape == (1, 3, 7, 1)


def test_png_signature_translates_png_and_jpeg_bytes_of_their_own_sizes(exported):
    model = exported[3]
    grey, rgb = _images((10, 6, 1)), _images((7, 12, 3), seed=1)
    data = tf.constant([tf.io.encode_png(grey).numpy(), tf.io.encode_jpeg(rgb).numpy()])
    out = model.signatures["a_to_b_png"](png_bytes=data)["png_bytes"].numpy()
    shapes = [tuple(tf.io.decode_png(o).shape) for o in out]
    assert shapes == [(10, 6, 1), (7, 12, 3)]
    direct = model.signatures["a_to_b"](images=tf.constant(grey[None]))["images"].numpy()[0]
    np.testing.assert_array_equal(tf.io.decode_png(out[0]).numpy(), direct)


@pytest.mark.parametrize("payload", [b"not an image at all", b"", b"\x89PNG\r\n\x1a\n truncated"])
def test_png_signature_refuses_bad_bytes_with_a_clear_message(exported, payload):
    model = exported[3]
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        model.signatures["b_to_a_png"](png_bytes=tf.constant([payload]))
    text = str(e.value)
    assert "not a PNG or JPEG" in text or "PNG" in text
    # The server goes on: the next good request is answered.
    good = tf.constant([tf.io.encode_png(_images((4, 4, 1))).numpy()])
    assert model.signatures["b_to_a_png"](png_bytes=good)["png_bytes"].shape == (1,)


def test_a_0x0_image_is_refused_with_a_clear_message(exported):
    model = exported[3]
    with pytest.raises(tf.errors.InvalidArgumentError, match="zero height or width"):
        model.signatures["a_to_b"](images=tf.zeros((1, 0, 0, 3), tf.uint8))
    with pytest.raises(tf.errors.InvalidArgumentError, match="1 to 4 channels"):
        model.signatures["a_to_b"](images=tf.zeros((1, 4, 4, 5), tf.uint8))
    assert model.signatures["a_to_b"](images=tf.zeros((0, 4, 4, 3), tf.uint8))["images"].shape == (0, 4, 4, 3)


def test_metadata_describes_the_signatures(exported):
    directory = exported[0]
    with open(f"{directory}/metadata.json") as f:
        meta = json.load(f)
    assert meta["image_size"] == SIZE and meta["channels"] == 1 and meta["directions"] == ["a_to_b", "b_to_a"]
    assert set(meta["signatures"]) == {"serving_default", "a_to_b", "b_to_a", "a_to_b_png", "b_to_a_png"}
