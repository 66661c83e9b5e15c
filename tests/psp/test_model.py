"""A pSp train step: the encoder learns, the generator stays frozen, codes start from the mean w."""

import numpy as np

from tests.stylegan.helpers import real_batch
from tfgan.families.psp import trainer
from tfgan.families.psp.model import adam
from tfgan.families.psp.params import PSPParams
from tfgan.families.stylegan.loading import load_generator


def tiny_model(generator_dir, **overrides):
    gen = load_generator(generator_dir)
    params = trainer.resolve(PSPParams(generator=generator_dir, encoder_width=4, encoder_max=8, **overrides), gen)
    model = trainer.build_model(params, gen)
    model.compile(adam(1e-3, 0.9, 0.999))
    model.build_optimizers()
    return model, gen


def test_a_step_changes_the_encoder_and_not_the_generator(generator_run):
    model, gen = tiny_model(generator_run.config.model_dir, w_norm_weight=0.005)
    assert model.synthesis.trainable_variables == []
    frozen = [np.array(v) for v in model.synthesis.variables] + [np.array(model.w_avg)]
    encoder = [np.array(v) for v in model.encoder.trainable_variables]
    logs = {k: float(v) for k, v in model.train_step(real_batch()).items()}
    assert np.isfinite(logs["loss"]) and logs["w_norm"] > 0
    after = [np.array(v) for v in model.synthesis.variables] + [np.array(model.w_avg)]
    for a, b in zip(frozen, after, strict=True):
        np.testing.assert_array_equal(a, b)
    changed = [
        not np.array_equal(a, np.array(b)) for a, b in zip(encoder, model.encoder.trainable_variables, strict=True)
    ]
    assert all(changed)
    assert int(model.step.numpy()) == 1


def test_codes_are_the_encoders_offsets_plus_the_generators_mean_w(generator_run):
    model, gen = tiny_model(generator_run.config.model_dir)
    assert np.abs(gen.w_avg).sum() > 0  # the run's mean w moved from its zero start
    x = real_batch()["image"][0]
    np.testing.assert_allclose(np.array(model.encode(x)), np.array(model.encoder(x)) + gen.w_avg, rtol=1e-6)


def test_the_run_dir_and_its_export_give_the_same_generator(generator_run):
    from_run = load_generator(generator_run.config.model_dir)
    from_export = load_generator(generator_run.export_dir)
    w = np.random.default_rng(0).standard_normal((2, 6, 8)).astype("float32")
    np.testing.assert_allclose(
        np.array(from_run.synthesis(w)), np.array(from_export.synthesis(w)), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_array_equal(from_run.w_avg, from_export.w_avg)
