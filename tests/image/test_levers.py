"""The convolution levers decided on the machine: measured once, cached per machine and shape, obeyed."""

import json

import keras
import numpy as np
import pytest

from tfgan import convolution
from tfgan.families.image import networks
from tfgan.families.image.trainer import choose_levers

pytestmark = pytest.mark.skipif(not convolution.cpu_only(), reason="the fast forms are CPU-only")


def _model():
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((4, 4, 8)),
            convolution.Conv2DTranspose(32, 5, strides=2, padding="same"),  # eligible (>= 32 channels, 5x5)
            convolution.Conv2D(4, 5, strides=2, padding="same"),  # input gradient of 32 channels: eligible
            convolution.Conv2DTranspose(3, 5, strides=2, padding="same"),  # 3 channels: never the fast form
        ]
    )


def test_decision_is_measured_cached_and_obeyed(tmp_path, monkeypatch):
    path = str(tmp_path / "levers.json")
    model = _model()
    timings = iter([(1.0, 2.0), (2.0, 1.0)])  # first layer: fast wins; second: Keras' wins
    monkeypatch.setattr(convolution, "time_both_ways", lambda *a, **k: next(timings))
    decisions = convolution.decide_levers([model], 16, path=path)
    first, second, third = model.layers
    assert first.fast_path is True and second.fast_path is False and third.fast_path is None
    assert first._fast() and not second._fast(second.input.shape)
    assert set(decisions) == {first.name, second.name}
    cache = json.loads(open(path).read())
    assert list(cache) == [convolution.machine_key()]
    assert sorted(e["fast"] for e in cache[convolution.machine_key()].values()) == [False, True]

    # A second run (fresh layers) reads the cache and measures nothing.
    def no_timing(*a, **k):
        raise AssertionError("measured again")

    monkeypatch.setattr(convolution, "time_both_ways", no_timing)
    again = _model()
    decisions = convolution.decide_levers([again], 16, path=path)
    assert all(d["cached"] for d in decisions.values())
    assert again.layers[0].fast_path is True and again.layers[1].fast_path is False

    # Another batch size is another shape: measured.
    monkeypatch.setattr(convolution, "time_both_ways", lambda *a, **k: (1.0, 2.0))
    decisions = convolution.decide_levers([_model()], 32, path=path)
    assert not any(d["cached"] for d in decisions.values())


def test_a_damaged_cache_is_measured_again_and_rewritten(tmp_path, monkeypatch):
    path = tmp_path / "levers.json"
    path.write_text("{not json")
    monkeypatch.setattr(convolution, "time_both_ways", lambda *a, **k: (1.0, 2.0))
    convolution.decide_levers([_model()], 16, path=str(path))
    assert convolution.machine_key() in json.loads(path.read_text())


def test_keras_path_gives_the_same_outputs():
    model = _model()
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 8)).astype("float32")
    fast = model(x).numpy()
    for layer in model.layers:
        layer.fast_path = False
    np.testing.assert_allclose(model(x).numpy(), fast, rtol=1e-4, atol=1e-5)


def test_real_timing_returns_two_positive_medians():
    layer = _model().layers[0]
    fast_s, keras_s = convolution.time_both_ways(layer, layer.input.shape, 4, repeats=2)
    assert fast_s > 0 and keras_s > 0 and layer.fast_path is None  # restored


def test_trainer_modes(tmp_path, monkeypatch):
    monkeypatch.setenv("TFGAN_CACHE", str(tmp_path))
    nets = networks.build("dcgan", 8, (8, 8, 1))
    choose_levers(nets, "keras", 4)
    convs = [
        layer
        for m in (nets.generator, nets.discriminator)
        for layer in m._flatten_layers()
        if isinstance(layer, (convolution.Conv2D, convolution.Conv2DTranspose))
    ]
    assert convs and all(layer.fast_path is False for layer in convs)
    nets = networks.build("dcgan", 8, (8, 8, 1))
    monkeypatch.setattr(convolution, "time_both_ways", lambda *a, **k: (2.0, 1.0))
    decisions = choose_levers(nets, "measure", 4)
    assert decisions and not any(d["fast"] for d in decisions.values())
    assert (tmp_path / "levers.json").exists()


def test_isa_names():
    assert convolution.isa({"avx2"}) == "AVX2"
    assert convolution.isa({"avx2", "avx512f"}) == "AVX-512"
    assert convolution.isa({"avx2", "avx512f", "avx512_bf16"}) == "AVX-512+BF16"
    assert convolution.isa({"avx512f", "avx512_bf16", "amx_bf16", "amx_tile"}) == "AMX+BF16"


def test_a_resumed_run_keeps_the_measured_forms_of_its_start(tmp_path, monkeypatch):
    """The choice is made once per run: a resume on a machine that would choose otherwise restores it."""
    from tfgan import config as config_lib
    from tfgan import training

    monkeypatch.setenv("TFGAN_CACHE", str(tmp_path / "cache-a"))
    monkeypatch.setattr(convolution, "time_both_ways", lambda *a, **k: (1.0, 2.0))  # fast forms win
    overrides = dict(dataset="digits", model="dcgan", image_size=8, latent_dim=4, batch_size=8, export=False)
    config = config_lib.resolve("default", model_dir=str(tmp_path / "run"), steps=2, **overrides)
    config, trainer, _ = training.build(config)
    models = [trainer.model.generator, trainer.model.discriminator]
    assert convolution.lever_layers(models) and all(convolution.lever_choices(models))
    training.train(config, verbose=0)

    # Another machine (another cache) where Keras' own layers win.
    monkeypatch.setenv("TFGAN_CACHE", str(tmp_path / "cache-b"))
    monkeypatch.setattr(convolution, "time_both_ways", lambda *a, **k: (2.0, 1.0))
    resumed = config_lib.resolve("default", model_dir=str(tmp_path / "run"), steps=4, **overrides)
    resumed, trainer, _ = training.build(resumed)
    models = [trainer.model.generator, trainer.model.discriminator]
    assert all(convolution.lever_choices(models))  # restored, not measured again
    assert not (tmp_path / "cache-b" / "levers.json").exists()

    fresh = config_lib.resolve("default", model_dir=str(tmp_path / "other"), steps=2, **overrides)
    fresh, trainer, _ = training.build(fresh)
    models = [trainer.model.generator, trainer.model.discriminator]
    assert not any(convolution.lever_choices(models))  # a fresh run measures on this "machine"
