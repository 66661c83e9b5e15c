import numpy as np
import pytest

from tfgan.families.translation import networks
from tfgan.families.translation.params import TranslationParams, default_resnet_blocks, default_unet_depth


@pytest.mark.parametrize("upsample", ["transpose", "resize"])
@pytest.mark.parametrize("shape", [(2, 16, 16, 1), (1, 12, 20, 3)])
def test_resnet_generator_keeps_the_image_shape_and_range(shape, upsample):
    g = networks.resnet_generator(shape[-1], filters=4, blocks=2, upsample=upsample)
    out = np.asarray(g(np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)))
    assert out.shape == shape and out.min() >= -1 and out.max() <= 1


def test_resnet_generator_has_the_asked_residual_blocks_and_reflect_padding():
    g = networks.resnet_generator(3, filters=4, blocks=6)
    names = [layer.name for layer in g.layers]
    assert sum(n.endswith("_add") for n in names) == 6
    pads = [layer for layer in g.layers if isinstance(layer, networks.ReflectionPadding2D)]
    assert [p.padding for p in pads] == [3] + [1] * 12 + [3]
    assert [default_resnet_blocks(s) for s in (256, 128, 64, 32)] == [9, 6, 4, 3]


def test_reflection_padding_mirrors_like_numpy():
    x = np.arange(2 * 3 * 4 * 1, dtype=np.float32).reshape(2, 3, 4, 1)
    out = np.asarray(networks.ReflectionPadding2D(2)(x))
    np.testing.assert_array_equal(out, np.pad(x, [(0, 0), (2, 2), (2, 2), (0, 0)], mode="reflect"))


def test_instance_norm_normalises_each_image_and_channel_on_its_own():
    x = np.random.default_rng(0).normal(3.0, 5.0, (2, 6, 6, 3)).astype(np.float32)
    out = np.asarray(networks.instance_norm()(x))
    np.testing.assert_allclose(out.mean(axis=(1, 2)), 0.0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(1, 2)), 1.0, atol=1e-3)


def test_patchgan_scores_a_30x30_grid_of_70x70_patches_at_256():
    d = networks.patch_discriminator(3, filters=4, layers_count=3)
    assert d(np.zeros((1, 256, 256, 3), np.float32)).shape == (1, 30, 30, 1)
    # As the reference's NLayerDiscriminator at 256x256 (its 70x70 PatchGAN).
    assert d(np.zeros((1, 128, 128, 3), np.float32)).shape == (1, 14, 14, 1)


def test_unet_and_conditional_patchgan_shapes():
    u = networks.unet_generator(3, filters=4, depth=5)
    assert u(np.zeros((2, 32, 32, 3), np.float32)).shape == (2, 32, 32, 3)
    assert default_unet_depth(256) == 8 and default_unet_depth(32) == 5 and default_unet_depth(28) == 2
    d = networks.conditional_patch_discriminator(3, 3, filters=4, layers_count=2)
    assert d([np.zeros((2, 32, 32, 3), np.float32)] * 2).shape == (2, 6, 6, 1)


def test_params_refuse_unknown_choices_in_one_message():
    from tfgan.errors import ConfigError

    with pytest.raises(ConfigError) as e:
        TranslationParams(model="cyclegun", upsample="bicubic", pool_size=-1)
    text = str(e.value)
    assert "--model='cyclegun'" in text and "--upsample='bicubic'" in text and "--pool_size" in text


def test_class_conditioning_is_refused_for_paired_data():
    from tfgan.errors import ConfigError

    with pytest.raises(ConfigError, match="--class_conditional is for --model=cyclegan"):
        TranslationParams(model="pix2pix", domain_a="pairs:x", domain_b="", class_conditional=True)
    with pytest.raises(ConfigError, match="--num_classes must be >= 2"):
        TranslationParams(class_conditional=True, num_classes=1)
