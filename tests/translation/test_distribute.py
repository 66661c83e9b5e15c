"""--strategy for the translation family: 2 replicas compute one device's step with the same global batch.

The runs are made by tests/translation/_mirrored_step.py in a subprocess (2
logical CPUs must be configured before TensorFlow initialises its devices),
as tests/test_distribute.py does for the image GAN.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.translation.helpers import ROOT, cli_env
from tfgan.families.translation.model import CYCLEGAN_METRICS, PIX2PIX_METRICS

TIMEOUT = 900
CASES = ("cyclegan_pool", "cyclegan_augment_ema", "cyclegan_no_pool", "cyclegan_conditional", "pix2pix", "trainer")


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory):
    """{case: npz} of tests/translation/_mirrored_step.py: one device vs 2 replicas on 2 logical CPUs."""
    out = tmp_path_factory.mktemp("translation_mirrored")
    script = os.path.join(ROOT, "tests", "translation", "_mirrored_step.py")
    result = subprocess.run(
        [sys.executable, script, str(out)], capture_output=True, text=True, env=cli_env(), timeout=TIMEOUT
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return {os.path.basename(p)[:-4]: dict(np.load(p)) for p in glob.glob(str(out / "*.npz"))}


def _run(arrays, kind):
    return {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith(kind + "/")}


@pytest.mark.parametrize("case", CASES)
def test_two_replicas_match_one_device_with_the_same_global_batch(mirrored, case):
    # Global batch 4: 2 images per replica. cyclegan_pool: pools of exactly
    # the global batch, so step 1 fills them and step 2 swaps: the pools are
    # one pool of the global batch, as on one device (pool.py). Before that,
    # each replica stored its own 2 fakes and the pool kept replica 0's, and
    # D's metrics and weights differed from step 2 on. cyclegan_augment_ema:
    # DiffAugment (before, both replicas drew the same shifts, cutouts and
    # colours for their i-th images, and every metric differed from step 1)
    # and the generators' EMA. pix2pix: the U-Net's dropout masks, rows of one
    # global draw. trainer: the model trainer.setup builds (Adam, the
    # schedule). Instance norm is per image, so it needs nothing; losses are
    # local means whose gradients are averaged over the replicas (equal
    # shares: the global mean's), metrics averaged likewise (tfgan.distribute).
    arrays = mirrored[case]
    one, two = _run(arrays, "one_device"), _run(arrays, "mirrored")
    assert int(one["step"]) == int(two["step"]) == 2
    expected = PIX2PIX_METRICS if case == "pix2pix" else CYCLEGAN_METRICS
    assert {f"metric/{m}" for m in expected} <= set(one)
    for name in (k for k in one if k.startswith("metric/")):  # means over both replicas: one replica's differ
        # Gradient norms pass back through instance norms of 2x2 maps, whose variance
        # DiffAugment's cutout can bring near 0: that amplifies the replicas' other
        # summation order (0.006% to 0.6% from run to run and CPU to CPU). The losses,
        # computed forward, agree to 1e-4; the bugs this test guards against moved
        # them by far more.
        rtol = 1e-2 if name.endswith("grad_norm") else 1e-4
        np.testing.assert_allclose(two[name], one[name], rtol=rtol, atol=1e-5, err_msg=name)
    count = len([k for k in one if k.startswith("weight/")])
    n_networks = int(one["networks"])
    assert count == len([k for k in two if k.startswith("weight/")]) and 0 < n_networks <= count
    for i in range(count):
        np.testing.assert_array_equal(two[f"init/{i}"], one[f"init/{i}"], err_msg=f"init {i}")
    # The networks' updates agree to 0.1% of the largest one (1% under Adam); with 8x8 images the
    # instance norms at 2x2 amplify the replicas' other summation order.
    moves = [np.abs(one[f"weight/{i}"] - one[f"init/{i}"]) for i in range(n_networks)]
    moved = max(float(m.max()) for m in moves)
    assert moved > 1e-4  # the steps did train
    tolerance = (1e-2 if case == "trainer" else 1e-3) * moved
    names = [str(n) for n in one["names"]]
    for i in range(count):
        a, b, init = one[f"weight/{i}"], two[f"weight/{i}"], one[f"init/{i}"]
        if case == "trainer" and _before_a_norm(names[i]):
            # Adam (lr 2e-4) on a gradient that is 0 but for rounding: a bias
            # followed by instance norm cancels in it. Adam scales rounding
            # noise up to steps of ~lr, so these move by noise on both runs.
            assert np.abs(b - a).max() <= 2 * 2 * 2e-4, names[i]
        elif i < n_networks:
            # Adam divides each update by the root of its squared gradients: where a
            # weight's two gradients nearly cancel, it magnifies their rounding (0.1%
            # of the largest update seen on one CPU). A wrong batch or draw moves an
            # Adam update by about lr, the size of `moved`.
            np.testing.assert_allclose(b - init, a - init, atol=tolerance, err_msg=f"weight {i}")
        else:  # the pools' images and counts, the EMA copies
            # Both are functions of the networks' weights (G's outputs; averages of G's weights), so they
            # inherit the weights' rounding (an EMA copy once differed by 1.4e-5, 0.3%, in a full-suite run); a
            # replica's pool or EMA of its own would differ by the images' or weights' whole scale.
            np.testing.assert_allclose(b, a, rtol=1e-4, atol=max(1e-5, tolerance), err_msg=f"state {i}")
    assert float(two["replica_spread"]) == 0.0  # every replica holds the same copy of everything


def _before_a_norm(path):
    """Whether `path` is the bias of a convolution the ResNet generator or the PatchGAN normalises next."""
    layer, _, kind = path.rpartition("/")
    layer = layer.rsplit("/", 1)[-1]
    return kind == "bias" and layer not in ("conv_out", "conv0", "score")


def test_the_pools_hold_one_devices_images_of_the_whole_global_batch(mirrored):
    # Pools of 4 after 2 steps of a global batch of 4: step 1 filled them with
    # all 4 fakes (both replicas' halves), step 2 swapped some; the replicas'
    # pools hold what one device's do (before: replica 0's fakes alone, 2 a step).
    arrays = mirrored["cyclegan_pool"]
    one, two = _run(arrays, "one_device"), _run(arrays, "mirrored")
    names = [str(n) for n in two["names"]]
    for pool in ("pool_a", "pool_b"):
        images, count = (names.index(f"{pool}/{v}") for v in ("images", "count"))
        assert int(two[f"weight/{count}"]) == int(one[f"weight/{count}"]) == 4
        assert len({float(np.abs(x).sum()) for x in two[f"weight/{images}"]}) == 4  # 4 distinct fakes
        np.testing.assert_allclose(two[f"weight/{images}"], one[f"weight/{images}"], rtol=1e-4, atol=1e-5)
