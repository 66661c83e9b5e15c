"""Convolution layers whose slow CPU kernels run as forward convolutions.

TensorFlow computes a transposed convolution, and the input gradient of a
strided convolution, with ``Conv2DBackpropInput``, which on CPUs (oneDNN)
reaches well under half the speed of ``Conv2D`` for the same multiply-adds.
Measured on a 2-core AVX2 EPYC at batch 256, for the DCGAN networks' layers:
G's 7x7, 256 -> 128 channels, stride 1: 364 ms against 160 ms as a forward
convolution; G's 7x7 -> 14x14, 128 -> 64 channels, stride 2: 105 ms against
59 ms as four sub-pixel convolutions (below); the input gradient of D's
14x14 -> 7x7, 64 -> 128 channel convolution: 168 ms against 93 ms (316
against 127 ms at batch 512). So `conv2d_transpose` computes

- stride 1 ("same", odd kernel): the forward convolution with the kernel
  flipped in space and its two channel axes swapped;
- stride 2 ("same"): each of the 2x2 output phases is a stride-1
  convolution of the input with the kernel taps that reach that phase;
  the four run as one convolution (the phases stacked on the output
  channels, missing taps zero: 36 taps instead of 25 for a 5x5 kernel)
  followed by `tf.nn.depth_to_space`.

and `conv2d` is a stride-2 convolution whose input gradient is that
sub-pixel transposed convolution. The gradients are the ones TensorFlow
registers for the ops replaced, which use the fast kernels already: a
forward convolution for a transposed convolution's input, and
``Conv2DBackpropFilter`` for the kernels. They are differentiable again
(gradient penalties differentiate D's input gradient).

The sub-pixel form is not always faster (`subpixel_wins`): with few output
channels or 3x3 kernels it loses to ``Conv2DBackpropInput``, so those
layers stay Keras' own. With a GPU visible the layers stay Keras' own too:
cuDNN's transposed convolutions are not the slow path there, and the
sub-pixel form does 1.44x the multiply-adds (not measured on a GPU yet).

Those measurements are one CPU's: on a 2-core AVX-512 EPYC (issue 20) the
same forms made the DCGAN step slower than Keras' own layers. So a run
decides per layer on the machine it runs on (`decide_levers`): a short
timing of the layer's forward and backward pass both ways, at the run's
batch size, cached per machine and shape in ``~/.cache/tfgan/levers.json``
(``$TFGAN_CACHE`` overrides the folder). A layer keeps its fast form only
where it measured faster (``fast_path``); layers never measured follow the
static rule above.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import platform
import time

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from tfgan.fileio import atomic_write

log = logging.getLogger(__name__)


def conv2d_transpose(x, kernel, stride):
    """``tf.nn.conv2d_transpose(x, kernel, output_shape, stride, "SAME")``, faster on CPUs.

    Equal up to float rounding, gradients included.

    Args:
      x: float [B, H, W, C_in].
      kernel: [kh, kw, C_out, C_in] (`keras.layers.Conv2DTranspose`'s
        layout); for stride 1, kh and kw odd.
      stride: 1 or 2, in both spatial dimensions.

    Returns:
      float [B, stride * H, stride * W, C_out].
    """

    @tf.custom_gradient
    def op(x, kernel):
        y = _stride1(x, kernel) if stride == 1 else _stride2(x, kernel)

        def grad(dy):
            # What TensorFlow registers for Conv2DBackpropInput, the op this replaces:
            # it is the input gradient of conv2d(dy, kernel, stride), so its kernel
            # gradient is that convolution's, with x as the output gradient.
            return tf.nn.conv2d(dy, kernel, strides=stride, padding="SAME"), _kernel_grad(dy, x, kernel, stride)

        return y, grad

    return op(x, kernel)


def conv2d(x, kernel):
    """``tf.nn.conv2d(x, kernel, 2, "SAME")`` whose input gradient is `conv2d_transpose`'s fast form.

    Equal up to float rounding, first and second gradients included.

    Args:
      x: float [B, H, W, C_in], H and W even (so that the gradient, a
        stride-2 transposed convolution, has x's shape).
      kernel: [kh, kw, C_in, C_out].

    Returns:
      float [B, H / 2, W / 2, C_out].
    """

    @tf.custom_gradient
    def op(x, kernel):
        def grad(dy):
            # What TensorFlow registers for Conv2D: Conv2DBackpropInput for the
            # input, here in its sub-pixel form, and Conv2DBackpropFilter.
            return _stride2(dy, kernel), _kernel_grad(x, dy, kernel, 2)

        return tf.nn.conv2d(x, kernel, strides=2, padding="SAME"), grad

    return op(x, kernel)


def _kernel_grad(x, dy, kernel, stride):
    """The kernel gradient of ``tf.nn.conv2d(x, kernel, stride, "SAME")`` for the output gradient `dy`."""
    return tf.raw_ops.Conv2DBackpropFilter(
        input=x, filter_sizes=tf.shape(kernel), out_backprop=dy, strides=[1, stride, stride, 1], padding="SAME"
    )


def _stride1(x, kernel):
    flipped = tf.reverse(tf.transpose(kernel, [0, 1, 3, 2]), axis=[0, 1])
    return tf.nn.conv2d(x, flipped, strides=1, padding="SAME")


def _phase_taps(size):
    """For output phase r = 0, 1 along one axis: {input offset d: kernel tap}.

    Output o = 2m + r of a stride-2 "same" transposed convolution adds
    input m + d times tap t = r + pad - 2d, for the taps 0 <= t < size;
    pad is the forward convolution's padding before, floor((size - 2) / 2).
    """
    pad = max(size - 2, 0) // 2
    return [{d: r + pad - 2 * d for d in range(-size, size + 1) if 0 <= r + pad - 2 * d < size} for r in (0, 1)]


def _stride2(x, kernel):
    kh, kw, c_out, c_in = kernel.shape
    taps_y, taps_x = _phase_taps(kh), _phase_taps(kw)
    dy = sorted({d for phase in taps_y for d in phase})
    dx = sorted({d for phase in taps_x for d in phase})
    # Tap indices [offset, phase]; kh (kw) points at the zero tap appended below.
    iy = np.array([[taps_y[r].get(d, kh) for r in (0, 1)] for d in dy])
    ix = np.array([[taps_x[r].get(d, kw) for r in (0, 1)] for d in dx])
    padded = tf.pad(kernel, [[0, 1], [0, 1], [0, 0], [0, 0]])
    k = tf.gather(tf.gather(padded, iy, axis=0), ix, axis=2)  # [ny, 2, nx, 2, C_out, C_in]
    # Output channel (ry * 2 + rx) * C_out + c: the layout depth_to_space reads.
    k = tf.reshape(tf.transpose(k, [0, 2, 5, 1, 3, 4]), [len(dy), len(dx), c_in, 4 * c_out])
    y = tf.nn.conv2d(x, k, strides=1, padding=[[0, 0], [-dy[0], dy[-1]], [-dx[0], dx[-1]], [0, 0]])
    return tf.nn.depth_to_space(y, 2)


# Where the sub-pixel form wins, measured against Conv2DBackpropInput on a
# 2-core AVX2 EPYC, batch 256 (64 for 256 channels), stride 2, by the
# transposed convolution's output channels and kernel: 5x5 with 1, 3, 8, 16
# channels: 0.47x, 0.88x, 0.89x, 0.78x the speed; with 32, 64, 128, 256
# channels: 1.43x, 1.81x, 1.46x, 4.23x; 64 channels with a 3x3 kernel (16 taps
# instead of 9): 0.86x, with 4x4: 1.60x.
_SUBPIXEL_MIN_CHANNELS = 32
_SUBPIXEL_MIN_KERNEL = 4


def subpixel_wins(kernel_size, out_channels) -> bool:
    """Whether a stride-2 transposed convolution runs faster in its sub-pixel form (on CPUs)."""
    return out_channels >= _SUBPIXEL_MIN_CHANNELS and min(kernel_size) >= _SUBPIXEL_MIN_KERNEL


@functools.cache
def cpu_only() -> bool:
    """Whether TensorFlow sees no GPU (the layers then take their fast forms)."""
    return not tf.config.list_physical_devices("GPU")


@keras.saving.register_keras_serializable(package="tfgan")
class Conv2DTranspose(layers.Conv2DTranspose):
    """`keras.layers.Conv2DTranspose` with the same weights, config and outputs.

    Where `conv2d_transpose` applies ("same" padding, strides 1 with an odd
    kernel, or strides 2 where `subpixel_wins`; no dilation or output
    padding, channels_last) and no GPU is visible (`cpu_only`) it computes
    the layer; elsewhere the layer is Keras' unchanged. The variables are
    Keras' own, so checkpoints of either layer restore into the other.
    """

    # True/False: decided for this machine by `decide_levers`; None: the static rule.
    fast_path = None

    def _fast(self):
        return self.fast_path is not False and self._eligible()

    def _eligible(self, input_shape=None):
        """The static rule: whether the fast form applies to this layer (and no GPU is visible)."""
        strides = tuple(self.strides)
        return (
            cpu_only()
            and (
                strides == (1, 1)
                and all(k % 2 == 1 for k in self.kernel_size)
                or strides == (2, 2)
                and subpixel_wins(self.kernel_size, self.filters)
            )
            and self.padding == "same"
            and tuple(self.dilation_rate) == (1, 1)
            and self.output_padding is None
            and self.data_format == "channels_last"
        )

    def call(self, inputs):
        if not self._fast():
            return super().call(inputs)
        inputs = tf.convert_to_tensor(inputs)
        kernel = tf.cast(tf.convert_to_tensor(self.kernel), inputs.dtype)  # compute dtype under mixed precision
        outputs = conv2d_transpose(inputs, kernel, self.strides[0])
        if self.use_bias:
            outputs = outputs + tf.cast(self.bias, outputs.dtype)
        return self.activation(outputs) if self.activation is not None else outputs


@keras.saving.register_keras_serializable(package="tfgan")
class Conv2D(layers.Conv2D):
    """`keras.layers.Conv2D` with the same weights, config, outputs and gradients.

    Where `conv2d` applies (strides 2, "same" padding, no dilation or groups,
    channels_last, an even static input height and width) and its input
    gradient is faster in the sub-pixel form (`subpixel_wins` for the input
    channels), with no GPU visible (`cpu_only`), the convolution is
    `conv2d`; elsewhere the layer is Keras' unchanged. The variables are
    Keras' own, so checkpoints of either layer restore into the other.
    """

    # True/False: decided for this machine by `decide_levers`; None: the static rule.
    fast_path = None

    def _fast(self, input_shape):
        return self.fast_path is not False and self._eligible(input_shape)

    def _eligible(self, input_shape):
        """The static rule: whether the fast form applies to this layer (and no GPU is visible)."""
        height, width, channels = input_shape[1:]
        return (
            cpu_only()
            and tuple(self.strides) == (2, 2)
            and self.padding == "same"
            and tuple(self.dilation_rate) == (1, 1)
            and self.groups == 1
            and self.data_format == "channels_last"
            and height is not None
            and width is not None
            and height % 2 == 0
            and width % 2 == 0
            and subpixel_wins(self.kernel_size, channels)
        )

    def convolution_op(self, inputs, kernel):
        if not self._fast(inputs.shape):
            return super().convolution_op(inputs, kernel)
        inputs = tf.convert_to_tensor(inputs)
        return conv2d(inputs, tf.cast(tf.convert_to_tensor(kernel), inputs.dtype))


# --- The levers decided on the machine a run runs on. ---


def cpu_flags() -> set[str]:
    """The CPU's feature flags (Linux ``/proc/cpuinfo``); empty where unreadable."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def isa(flags: set[str] | None = None) -> str:
    """The widest vector ISA of the CPU, as the benchmarks print it: AMX | AVX-512 | AVX2 | other.

    ``+BF16`` marks AVX-512 BF16 (bfloat16 dot products), where
    ``--mixed_precision`` with bfloat16 can go beyond the fp32 peak.
    """
    flags = cpu_flags() if flags is None else flags
    if {"amx_bf16", "amx_tile"} & flags:
        name = "AMX"
    elif "avx512f" in flags:
        name = "AVX-512"
    elif "avx2" in flags:
        name = "AVX2"
    else:
        name = platform.machine() or "other"
    return name + ("+BF16" if "avx512_bf16" in flags else "")


@functools.cache
def machine_key() -> str:
    """What a lever decision holds for: CPU model, ISA, core count, TensorFlow version, GPU or not."""
    model = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), model)
    except OSError:
        pass
    device = "cpu" if cpu_only() else "gpu"
    return f"{model}|{isa()}|{os.cpu_count()}cpus|tf{tf.__version__}|{device}"


def cache_path() -> str:
    """The lever cache file: ``$TFGAN_CACHE/levers.json`` (default folder ``~/.cache/tfgan``)."""
    folder = os.environ.get("TFGAN_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "tfgan")
    return os.path.join(folder, "levers.json")


def _load(path: str) -> dict:
    try:
        with open(path) as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}  # a missing or damaged cache is measured again


def layer_key(layer, input_shape, batch_size: int) -> str:
    """The cache key of one layer's decision (with `machine_key`)."""
    dims = "x".join(str(d) for d in input_shape[1:])
    return (
        f"{type(layer).__name__}|in{dims}|b{batch_size}|k{'x'.join(map(str, layer.kernel_size))}|"
        f"f{layer.filters}|s{layer.strides[0]}|{layer.compute_dtype}"
    )


def _timing_fn(layer, x):
    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(tf.cast(y, tf.float32) ** 2)
        return tape.gradient(loss, [x, layer.kernel])

    step(x)  # traced now, with the layer's fast_path as it is set
    return step


def time_both_ways(layer, input_shape, batch_size: int, repeats: int = 5) -> tuple[float, float]:
    """Median seconds of one forward + backward pass of `layer`: ``(fast form, Keras' own)``.

    The two are interleaved, so load on a shared machine slows both alike.
    """
    x = tf.random.normal([batch_size, *input_shape[1:]], dtype=layer.compute_dtype)
    saved = layer.fast_path
    try:
        layer.fast_path = True
        fast = _timing_fn(layer, x)
        layer.fast_path = False
        plain = _timing_fn(layer, x)
    finally:
        layer.fast_path = saved
    times = {fast: [], plain: []}
    for _ in range(repeats):
        for fn in (fast, plain):
            start = time.perf_counter()
            tf.nest.map_structure(lambda t: t.numpy(), fn(x))
            times[fn].append(time.perf_counter() - start)
    return float(np.median(times[fast])), float(np.median(times[plain]))


def _candidates(model):
    """`model`'s layers of this module whose fast form applies by the static rule, with their input shapes."""
    for layer in model._flatten_layers():
        if not isinstance(layer, (Conv2D, Conv2DTranspose)) or not layer.built:
            continue
        shape = tuple(layer.input.shape) if _has_input(layer) else None
        if shape is None:
            continue
        if layer._eligible(shape):
            yield layer, shape


def lever_layers(models) -> list:
    """The layers of `models` whose fast form applies, in a fixed order (their choices are checkpointed)."""
    return [layer for model in models for layer, _ in _candidates(model)]


def lever_choices(models) -> list[int]:
    """Per `lever_layers` entry: 1 where the layer runs its fast form, 0 where it runs Keras' own."""
    return [0 if layer.fast_path is False else 1 for layer in lever_layers(models)]


def set_lever_choices(models, choices) -> None:
    """Sets each `lever_layers` entry's form from `lever_choices` values (a resumed run's saved choices).

    Raises:
      ValueError: `choices` has another length than `models` has such layers.
    """
    found = lever_layers(models)
    choices = [int(c) for c in choices]
    if len(choices) != len(found):
        raise ValueError(f"{len(choices)} saved convolution choices for {len(found)} layers")
    for layer, choice in zip(found, choices, strict=True):
        layer.fast_path = bool(choice)


def _has_input(layer) -> bool:
    try:
        layer.input  # noqa: B018 - raises for a layer never called symbolically
        return True
    except (AttributeError, ValueError):
        return False


def decide_levers(models, batch_size: int, *, path: str | None = None, repeats: int = 5, margin: float = 1.0) -> dict:
    """Sets each fast-form layer's ``fast_path`` to what wins on this machine; returns the decisions.

    Each layer of `models` (built Keras models) whose fast form applies is
    timed both ways (`time_both_ways`) unless the cache at `path` (default
    `cache_path`) already holds its decision for this machine and shape; the
    fast form is kept only where it is faster than Keras' own by `margin`
    (1.0: any amount). New decisions are written back atomically.

    Returns:
      ``{layer name: {"fast": bool, "fast_s": float, "keras_s": float, "cached": bool}}``.
    """
    path = path or cache_path()
    cache = _load(path)
    machine = cache.setdefault(machine_key(), {})
    decisions, dirty = {}, False
    for model in models:
        for layer, shape in _candidates(model):
            key = layer_key(layer, shape, batch_size)
            entry = machine.get(key)
            cached = isinstance(entry, dict) and {"fast", "fast_s", "keras_s"} <= entry.keys()
            if not cached:
                fast_s, keras_s = time_both_ways(layer, shape, batch_size, repeats)
                entry = {"fast": fast_s * margin < keras_s, "fast_s": fast_s, "keras_s": keras_s}
                machine[key], dirty = entry, True
            layer.fast_path = bool(entry["fast"])
            decisions[layer.name] = {**entry, "cached": cached}
            log.info(
                "convolution lever %s (%s): fast form %.2f ms, Keras' %.2f ms -> %s%s",
                layer.name,
                key,
                1e3 * entry["fast_s"],
                1e3 * entry["keras_s"],
                "fast" if entry["fast"] else "Keras'",
                " (cached)" if cached else "",
            )
    if dirty:
        try:
            atomic_write(path, json.dumps(cache, indent=1, sort_keys=True))
        except OSError as e:  # a read-only home still trains, measuring again next time
            log.warning("could not write the lever cache %s: %s", path, e)
    return decisions
