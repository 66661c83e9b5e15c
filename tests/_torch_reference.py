"""Weights and images drawn from a seed, identical in a PyTorch process and in the tests.

`tests/fixtures/torch_references.py` loads `seeded_state` into the reference
PyTorch networks (the ``lpips`` package, pSp's IR-SE50) and stores their
outputs in ``torch_references.json``; the tests rebuild the same arrays here
(NumPy's legacy ``RandomState`` stream is fixed across versions and
platforms) and compare tfgan's Keras networks with those outputs, so the
suite needs neither PyTorch nor the 60-180 MB of weights.
"""

from __future__ import annotations

import json
import os

import numpy as np

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "torch_references.json")
# The lpips package's ScalingLayer buffers (part of its state dict).
LPIPS_SCALING = {"scaling_layer.shift": [-0.030, -0.088, -0.188], "scaling_layer.scale": [0.458, 0.448, 0.450]}


def seeded_state(spec, seed: int) -> dict[str, np.ndarray]:
    """A state dict with the keys and shapes of `spec` ([(key, shape), ...]), values drawn from `seed`.

    He-scaled convolutions and linear layers, BatchNorm statistics near the
    identity, PReLU slopes near 0.25, non-negative LPIPS heads, residual
    branches scaled down: values that keep a 50-layer network's activations
    moderate and its outputs well conditioned, so float32 comparisons with
    tight tolerances are meaningful.
    """
    rng = np.random.RandomState(seed)
    keys = {key for key, _ in spec}
    state = {}
    for key, shape in spec:
        shape = tuple(shape)
        if key in LPIPS_SCALING:
            value = np.asarray(LPIPS_SCALING[key], np.float32).reshape(shape)
        elif key.startswith("lins."):
            continue  # the lpips package's second name for lin{k}: filled in below
        elif key.endswith("num_batches_tracked"):
            value = np.zeros(shape, np.int64)
        elif key.endswith("running_var"):
            value = rng.uniform(0.5, 1.5, shape)
        elif key.endswith("running_mean"):
            value = rng.normal(0.0, 0.1, shape)
        elif key.endswith("bias"):
            value = rng.normal(0.0, 0.05, shape)
        elif key.startswith("lin"):
            value = np.abs(rng.normal(0.0, 0.1, shape))
        elif key.endswith("res_layer.4.weight"):
            # An IR unit's residual branch ends in this BN: small, as a zero-init-residual
            # ResNet's, so rounding differences do not compound over 24 units.
            value = rng.uniform(0.05, 0.15, shape)
        elif len(shape) == 1 and key[: -len("weight")] + "running_mean" in keys:
            value = 1.0 + rng.normal(0.0, 0.1, shape)  # a BatchNorm's scale
        elif len(shape) == 1:
            value = rng.uniform(0.2, 0.3, shape)  # a PReLU's slopes
        else:
            fan_in = int(np.prod(shape[1:]))
            value = rng.normal(0.0, 1.0, shape) * np.sqrt((2.0 if len(shape) == 4 else 1.0) / fan_in)
        state[key] = np.asarray(value, np.int64 if value.dtype == np.int64 else np.float32)
    for key, _ in spec:
        if key.startswith("lins."):
            state[key] = state["lin" + key[len("lins.") :]]
    return state


def seeded_images(seed: int, n: int, size: int, channels: int = 3) -> np.ndarray:
    """float32 [n, size, size, channels] in [-1, 1] (NHWC), drawn from `seed`."""
    rng = np.random.RandomState(seed)
    return rng.uniform(-1.0, 1.0, (n, size, size, channels)).astype(np.float32)


def load_fixture() -> dict:
    with open(FIXTURE) as f:
        return json.load(f)


def reference_state(name: str) -> dict[str, np.ndarray]:
    """The seeded state dict of the fixture's network `name` (lpips_alex, lpips_vgg, arcface)."""
    ref = load_fixture()[name]
    return seeded_state(ref["spec"], ref["seed"])
