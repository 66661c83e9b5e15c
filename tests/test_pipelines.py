import os

import numpy as np
import pytest
import tensorflow as tf

import pipelines
from pipelines import PipelineError


def first(ds):
    return {k: v.numpy() for k, v in next(iter(ds)).items()}


def test_digits_contract():
    source = pipelines.open_source("digits")
    assert source.info.image_shape == (8, 8, 1) and source.info.num_examples == 1500
    assert source.info.num_classes == 10
    ex = first(source.examples())
    assert ex["image"].dtype == np.uint8 and ex["image"].shape == (8, 8, 1) and ex["label"] == 0
    assert pipelines.open_source("digits", split="test").info.num_examples == 297


def test_every_example_keeps_its_sources_stated_contract(tmp_path):
    np.savez(tmp_path / "x.npz", x=np.arange(5 * 4 * 4, dtype=np.uint8).reshape(5, 4, 4), y=np.arange(5) % 2)
    for source in (
        pipelines.open_source("digits", image_size=12, channels=3),
        pipelines.open_source(f"npz:{tmp_path / 'x.npz'}"),
    ):
        features = source.features()
        assert features["image"].shape == source.info.image_shape and features["image"].dtype == "uint8"
        assert features["label"].value_range == (0, source.info.num_classes - 1)
        for e in source.examples().as_numpy_iterator():
            pipelines.check_element(features, e)


def test_a_broken_contract_is_named():
    feature = {"image": pipelines.Feature((2, 2, 1), "uint8", (0, 255), "pixels")}
    pipelines.check_element(feature, {"image": np.zeros((2, 2, 1), np.uint8)})
    with pytest.raises(PipelineError, match=r"feature 'image' is float32 \[2, 2, 1\], the contract says uint8"):
        pipelines.check_element(feature, {"image": np.zeros((2, 2, 1), np.float32)})
    label = {"label": pipelines.Feature((), "int32", (0, 9), "class")}
    with pytest.raises(PipelineError, match=r"outside \[0, 9\]"):
        pipelines.check_element(label, {"label": np.int32(-1)})


def test_train_dataset_contract_and_range():
    source = pipelines.open_source("digits", image_size=16, channels=3)
    ds = pipelines.make_train_dataset(source, 32, seed=0, value_range=(0.0, 1.0), group=2)
    el = first(ds)
    assert el["image"].shape == (2, 32, 16, 16, 3) and el["image"].dtype == np.float32
    assert el["label"].shape == (2, 32) and el["label"].dtype == np.int32
    assert el["image"].min() >= 0.0 and el["image"].max() <= 1.0 and el["image"].max() > 0.9
    el = first(pipelines.make_train_dataset(source, 32, seed=0, value_range=(-1.0, 1.0)))
    assert el["image"].min() == pytest.approx(-1.0)
    # Without it, fit() returned up to a minute after its last step (see stream_options).
    assert ds.options().autotune.enabled is False


def test_stream_is_seeded_and_resumes_where_it_left_off():
    source = pipelines.open_source("digits")
    full = [e["image"].numpy() for e in pipelines.make_train_dataset(source, 100, seed=7).take(20)]
    again = [e["image"].numpy() for e in pipelines.make_train_dataset(source, 100, seed=7).take(20)]
    other = first(pipelines.make_train_dataset(source, 100, seed=8))["image"]
    resumed = [e["image"].numpy() for e in pipelines.make_train_dataset(source, 100, seed=7, start_step=17).take(3)]
    np.testing.assert_array_equal(np.stack(full), np.stack(again))
    assert not np.array_equal(full[0], other)
    np.testing.assert_array_equal(np.stack(resumed), np.stack(full[17:20]))  # crosses an epoch (15 batches)


def test_each_epoch_is_a_new_permutation_of_all_examples():
    source = pipelines.open_source("digits")
    ds = pipelines.make_train_dataset(source, 100, seed=0)
    labels = [e["label"].numpy().ravel() for e in ds.take(30)]  # 15 batches per epoch
    epoch1, epoch2 = np.concatenate(labels[:15]), np.concatenate(labels[15:])
    all_labels = np.asarray([e["label"] for e in source.examples().as_numpy_iterator()])
    np.testing.assert_array_equal(np.bincount(epoch1), np.bincount(all_labels))
    assert not np.array_equal(epoch1, epoch2)


def test_mean_image():
    x = np.stack([np.zeros((4, 4), np.uint8), np.full((4, 4), 255, np.uint8), np.full((4, 4), 255, np.uint8)])
    mean = pipelines.mean_image(pipelines.ArraySource(x), batch_size=2)
    assert mean.shape == (4, 4, 1)
    np.testing.assert_allclose(mean, 2 / 3)


def test_batch_larger_than_dataset():
    with pytest.raises(PipelineError, match="larger than the dataset.*1500"):
        pipelines.make_train_dataset(pipelines.open_source("digits"), 5000, seed=0)


def test_unknown_source():
    with pytest.raises(PipelineError, match="unknown dataset 'mnist'.*tfds:"):
        pipelines.open_source("mnist")


# --- npz ---------------------------------------------------------------------


def test_npz_uint8_and_float(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, size=(10, 6, 6), dtype=np.uint8)
    np.savez(tmp_path / "a.npz", x=x, y=np.arange(10))
    source = pipelines.open_source(f"npz:{tmp_path / 'a.npz'}")
    assert source.info.image_shape == (6, 6, 1) and source.info.num_classes == 10
    ex = list(source.examples().as_numpy_iterator())
    np.testing.assert_array_equal(ex[3]["image"][..., 0], x[3])
    assert ex[3]["label"] == 3
    np.savez(tmp_path / "f.npz", x=x.astype(np.float32) / 255.0)
    ex = first(pipelines.open_source(f"npz:{tmp_path / 'f.npz'}", image_size=12, channels=3).examples())
    assert ex["image"].shape == (12, 12, 3) and ex["label"] == 0


def test_npz_errors(tmp_path):
    with pytest.raises(PipelineError, match="no such file"):
        pipelines.open_source(f"npz:{tmp_path / 'missing.npz'}")
    np.savez(tmp_path / "obj.npz", x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(PipelineError, match="allow_pickle=False"):
        pipelines.open_source(f"npz:{tmp_path / 'obj.npz'}")
    np.savez(tmp_path / "nox.npz", images=np.zeros([2, 4, 4]))
    with pytest.raises(PipelineError, match="no array 'x'"):
        pipelines.open_source(f"npz:{tmp_path / 'nox.npz'}")
    np.savez(tmp_path / "shape.npz", x=np.zeros([5, 4]))
    with pytest.raises(PipelineError, match=r"\[N, H, W\]"):
        pipelines.open_source(f"npz:{tmp_path / 'shape.npz'}")
    np.savez(tmp_path / "range.npz", x=np.full([2, 4, 4], 3.0))
    with pytest.raises(PipelineError, match=r"\[0, 1\]"):
        pipelines.open_source(f"npz:{tmp_path / 'range.npz'}")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(PipelineError, match="not a readable"):
        pipelines.open_source(f"npz:{tmp_path / 'junk.npz'}")


# --- folder ------------------------------------------------------------------


def write_image(path, array, fmt):
    from PIL import Image

    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path, format=fmt)


def test_folder_formats_recursion_labels_and_conversion(tmp_path):
    rng = np.random.default_rng(0)
    write_image(tmp_path / "cats" / "a.png", rng.integers(0, 255, (20, 20, 3), dtype=np.uint8), "PNG")
    write_image(tmp_path / "cats" / "deep" / "b.jpg", rng.integers(0, 255, (30, 40, 3), dtype=np.uint8), "JPEG")
    write_image(tmp_path / "dogs" / "c.gif", rng.integers(0, 255, (16, 16), dtype=np.uint8), "GIF")
    write_image(tmp_path / "dogs" / "d.bmp", rng.integers(0, 255, (16, 16), dtype=np.uint8), "BMP")
    write_image(tmp_path / "dogs" / "e.png", rng.integers(0, 255, (16, 16, 4), dtype=np.uint8), "PNG")
    (tmp_path / "dogs" / "notes.txt").write_text("not an image")
    source = pipelines.open_source(f"folder:{tmp_path}", image_size=8)
    assert source.info.num_examples == 5 and source.info.image_shape == (8, 8, 3)
    assert source.info.num_classes == 2 and source.class_names == ["cats", "dogs"]
    examples = list(source.examples().as_numpy_iterator())
    assert [e["label"] for e in examples] == [0, 0, 1, 1, 1]
    assert all(e["image"].shape == (8, 8, 3) and e["image"].dtype == np.uint8 for e in examples)
    grey = pipelines.open_source(f"folder:{tmp_path}", image_size=8, channels=1)
    assert first(grey.examples())["image"].shape == (8, 8, 1)
    for s in (source, grey):
        for e in s.examples().as_numpy_iterator():
            pipelines.check_element(s.features(), e)


def test_folder_flat_grey_keeps_native_size(tmp_path):
    for i in range(3):
        write_image(tmp_path / f"{i}.png", np.full((6, 6), 40 * i, np.uint8), "PNG")
    source = pipelines.open_source(f"folder:{tmp_path}")
    assert source.info.image_shape == (6, 6, 1) and source.info.num_classes is None
    images = [e["image"] for e in source.examples().as_numpy_iterator()]
    assert [int(im.mean()) for im in images] == [0, 40, 80]


def test_folder_skips_corrupt_files_and_counts_them(tmp_path):
    write_image(tmp_path / "good.png", np.zeros((8, 8), np.uint8), "PNG")
    good = (tmp_path / "good.png").read_bytes()
    (tmp_path / "truncated.png").write_bytes(good[: len(good) // 2])
    (tmp_path / "garbage.jpg").write_bytes(b"\xff\xd8 this is not a jpeg")
    source = pipelines.open_source(f"folder:{tmp_path}")
    assert source.info.num_examples == 1 and len(source.skipped) == 2


def test_folder_errors(tmp_path):
    with pytest.raises(PipelineError, match="does not exist"):
        pipelines.open_source(f"folder:{tmp_path / 'nope'}")
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(PipelineError, match="no image files"):
        pipelines.open_source(f"folder:{tmp_path}")
    (tmp_path / "bad.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(PipelineError, match="none of its 1 image files could be decoded"):
        pipelines.open_source(f"folder:{tmp_path}")
    write_image(tmp_path / "a.png", np.zeros((8, 8), np.uint8), "PNG")
    write_image(tmp_path / "b.png", np.zeros((9, 9), np.uint8), "PNG")
    with pytest.raises(PipelineError, match="--image_size"):
        pipelines.open_source(f"folder:{tmp_path}")


# --- TFDS (a tiny dataset prepared offline in the test) -----------------------


@pytest.fixture(scope="module")
def tiny_tfds(tmp_path_factory):
    import tensorflow_datasets as tfds

    class TfganTinyImages(tfds.core.GeneratorBasedBuilder):
        VERSION = tfds.core.Version("1.0.0")

        def _info(self):
            return tfds.core.DatasetInfo(
                builder=self,
                features=tfds.features.FeaturesDict(
                    {"image": tfds.features.Image(shape=(10, 10, 1)), "label": tfds.features.ClassLabel(num_classes=3)}
                ),
            )

        def _split_generators(self, dl_manager):
            return {"train": self._generate_examples(12), "test": self._generate_examples(4)}

        def _generate_examples(self, n):
            for i in range(n):
                yield i, {"image": np.full((10, 10, 1), 20 * i, np.uint8), "label": i % 3}

    data_dir = str(tmp_path_factory.mktemp("tfds"))
    TfganTinyImages(data_dir=data_dir).download_and_prepare()
    return data_dir


def test_tfds_offline(tiny_tfds):
    source = pipelines.open_source("tfds:tfgan_tiny_images", data_dir=tiny_tfds)
    assert source.info.image_shape == (10, 10, 1) and source.info.num_examples == 12
    assert source.info.num_classes == 3
    labels = sorted(int(e["label"]) for e in source.examples().as_numpy_iterator())
    assert labels == sorted(i % 3 for i in range(12))
    test = pipelines.open_source("tfds:tfgan_tiny_images", data_dir=tiny_tfds, split="test", image_size=8, channels=3)
    assert test.info.num_examples == 4 and first(test.examples())["image"].shape == (8, 8, 3)
    el = first(pipelines.make_train_dataset(source, 4, seed=0))
    assert el["image"].shape == (1, 4, 10, 10, 1)
    for e in test.examples().as_numpy_iterator():
        pipelines.check_element(test.features(), e)


def test_tfds_not_prepared_says_how_to_prepare(tmp_path):
    with pytest.raises(PipelineError, match=r"(?s)not prepared.*tfds build mnist --data_dir"):
        pipelines.open_source("tfds:mnist", data_dir=str(tmp_path))


def test_tfds_unknown_name(tmp_path):
    with pytest.raises(PipelineError, match="no dataset named"):
        pipelines.open_source("tfds:no_such_dataset_xyz", data_dir=str(tmp_path))


def test_tfds_unknown_split(tiny_tfds):
    with pytest.raises(PipelineError, match="split"):
        pipelines.open_source("tfds:tfgan_tiny_images", data_dir=tiny_tfds, split="validation")


def test_to_uint8_image_crops_to_square_centre():
    image = np.zeros((4, 8, 1), np.uint8)
    image[:, 2:6] = 255  # the centre square is white, the sides black
    from pipelines.base import to_uint8_image

    out = to_uint8_image(tf.constant(image), None, 1).numpy()
    assert out.shape == (4, 4, 1) and out.min() == 255
