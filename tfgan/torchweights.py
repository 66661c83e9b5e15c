"""Reading PyTorch weights that a user converted to ``.npz`` into Keras layers.

The pretrained networks pSp relies on (LPIPS, ArcFace IR-SE50) exist only as
PyTorch state dicts. ``python -m tfgan.convert_weights`` writes such a state
dict as an ``.npz`` with its keys and PyTorch layouts unchanged, so that the
file is checkable against the original key by key; this module opens those
files and copies each tensor into the Keras layer that plays its part. No
library converts PyTorch state dicts into Keras 3 layers, hence this small
hand-written mapping.

Layouts: a convolution's ``[out, in, kh, kw]`` becomes Keras'
``[kh, kw, in, out]``; a linear layer's ``[out, in]`` becomes ``[in, out]``;
a BatchNorm's weight, bias, running mean and variance become gamma, beta and
the moving statistics (its PyTorch epsilon, 1e-5, must be the layer's);
a per-channel PReLU's ``[C]`` becomes alpha ``[1, 1, C]``.
"""

from __future__ import annotations

import dataclasses
import io
import os
import zipfile

import numpy as np

from tfgan.errors import ConfigError, TfganError
from tfgan.fileio import atomic_write

# PyTorch's BatchNorm epsilon: layers that receive PyTorch statistics use it.
TORCH_BN_EPSILON = 1e-5


class WeightsError(TfganError):
    """A weights file is missing, unreadable or does not fit the network."""


def read_state(path: str, what: str, flag: str) -> dict[str, np.ndarray]:
    """The arrays of a converted state dict, by PyTorch key.

    Args:
      path: An ``.npz`` written by ``python -m tfgan.convert_weights``.
      what: The network, for messages ("LPIPS", "ArcFace IR-SE50").
      flag: The flag that named the file, for messages.

    Raises:
      WeightsError: The file is missing or not an ``.npz``.
    """
    if not os.path.isfile(path):
        raise WeightsError(
            f"{flag}={path}: no such file. Convert the {what} weights once with "
            f"`python -m tfgan.convert_weights` (docs/psp.md) and pass the .npz it writes."
        )
    hint = " (a PyTorch .pth/.pt? convert it with `python -m tfgan.convert_weights`)"
    try:
        data = np.load(path, allow_pickle=False)
        # A PyTorch file is a zip too, of pickles and raw storages, not .npy arrays.
        if not isinstance(data, np.lib.npyio.NpzFile) or any(not name.endswith(".npy") for name in data.zip.namelist()):
            if hasattr(data, "close"):
                data.close()
            raise WeightsError(f"{flag}={path}: not an .npz of named arrays{hint}.")
        with data:
            return {k: np.asarray(data[k]) for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        # NumPy's own advice for a pickle (to load it unsafely) is not the fix here.
        detail = str(e) if type(e) is OSError else type(e).__name__
        raise WeightsError(f"{flag}={path}: not a readable .npz of {what} weights{hint}: {detail}") from e


class StateReader:
    """Takes tensors out of a state dict into Keras layers, checking each one's shape.

    Args:
      state: PyTorch key -> array.
      what, flag, path: For messages.
    """

    def __init__(self, state: dict[str, np.ndarray], what: str, flag: str, path: str):
        self.state, self.what, self.flag, self.path = state, what, flag, path

    def take(self, key: str, shape: tuple[int, ...]) -> np.ndarray:
        """The array at `key`, which must have `shape` (PyTorch layout).

        Raises:
          WeightsError: The key is missing or its shape differs.
        """
        if key not in self.state:
            raise WeightsError(
                f"{self.flag}={self.path}: no tensor {key!r}; this is not a {self.what} state dict "
                f"(its first keys: {', '.join(sorted(self.state)[:4]) or 'none'})."
            )
        value = self.state[key]
        if tuple(value.shape) != tuple(shape):
            raise WeightsError(
                f"{self.flag}={self.path}: {key!r} has shape {tuple(value.shape)}, the {self.what} network "
                f"needs {tuple(shape)}; the file is of another architecture or size."
            )
        return value.astype(np.float32)

    def conv(self, layer, key: str, *, bias: bool, sum_inputs: bool = False) -> None:
        """A ``Conv2d`` at `key` into a Keras ``Conv2D``.

        Args:
          sum_inputs: The layer has one input channel and the file's has
            several (an RGB network for grayscale images): the kernel is
            summed over them, which is exact for a gray image fed as equal
            R, G and B.
        """
        kh, kw, cin, cout = layer.kernel.shape
        if sum_inputs:
            src = self.state.get(f"{key}.weight")
            file_in = int(src.shape[1]) if src is not None and src.ndim == 4 else cin
            kernel = self.take(f"{key}.weight", (cout, file_in, kh, kw)).sum(axis=1, keepdims=True)
        else:
            kernel = self.take(f"{key}.weight", (cout, cin, kh, kw))
        values = [kernel.transpose(2, 3, 1, 0)]
        if bias:
            values.append(self.take(f"{key}.bias", (cout,)))
        layer.set_weights(values)

    def dense(self, layer, key: str) -> None:
        """A ``Linear`` at `key` into a Keras ``Dense``."""
        cin, cout = layer.kernel.shape
        layer.set_weights([self.take(f"{key}.weight", (cout, cin)).T, self.take(f"{key}.bias", (cout,))])

    def batch_norm(self, layer, key: str) -> None:
        """A ``BatchNorm1d/2d`` at `key` (affine or not) into a Keras ``BatchNormalization``."""
        (c,) = layer.moving_mean.shape
        values = []
        if layer.scale:
            values.append(self.take(f"{key}.weight", (c,)))
        if layer.center:
            values.append(self.take(f"{key}.bias", (c,)))
        values += [self.take(f"{key}.running_mean", (c,)), self.take(f"{key}.running_var", (c,))]
        layer.set_weights(values)

    def prelu(self, layer, key: str) -> None:
        """A per-channel ``PReLU`` at `key` into a Keras ``PReLU(shared_axes=[1, 2])``."""
        shape = tuple(layer.alpha.shape)
        layer.set_weights([self.take(f"{key}.weight", (shape[-1],)).reshape(shape)])


# ---------------------------------------------------------------------------
# Writing the files (`python -m tfgan.convert_weights`): needs PyTorch, not TensorFlow.

LPIPS_NETS = ("alex", "vgg")


@dataclasses.dataclass(frozen=True)
class ConvertOptions:
    """What ``python -m tfgan.convert_weights`` converts (its flags are generated from these fields).

    Attributes:
      out: The .npz to write (written whole or not at all).
      torch: A PyTorch state dict file (.pth/.pt), e.g. ArcFace's
        ``model_ir_se50.pth`` for --backbone_weights / --id_weights. A
        checkpoint holding one under "state_dict" or "model" works too;
        DataParallel's "module." prefixes are dropped.
      lpips: alex | vgg: the ``lpips`` package's network of that name, its
        linear heads (shipped in its wheel) and torchvision's ImageNet
        weights (downloaded by torchvision into its cache on first use),
        for --lpips_weights.
    """

    out: str
    torch: str | None = None
    lpips: str | None = None

    def __post_init__(self):
        if (self.torch is None) == (self.lpips is None):
            raise ConfigError("give exactly one of --torch=FILE.pth (a state dict) or --lpips=alex|vgg.")
        if self.lpips is not None and self.lpips not in LPIPS_NETS:
            raise ConfigError(f"--lpips={self.lpips!r} is unknown; choose one of: {', '.join(LPIPS_NETS)}")
        if not self.out.endswith(".npz"):
            raise ConfigError(f"--out={self.out}: the weights file is an .npz; end the name with .npz.")


def _torch():
    try:
        import torch
    except ImportError as e:
        raise TfganError(
            "converting PyTorch weights needs PyTorch (`pip install torch`, and `torchvision lpips` for "
            "--lpips); the converted .npz then works without it."
        ) from e
    return torch


def torch_state(path: str) -> dict[str, np.ndarray]:
    """The arrays of the PyTorch state dict in `path` (tensors only, never arbitrary pickled objects).

    Raises:
      WeightsError: The file is missing, not a PyTorch file, or holds no state dict.
    """
    torch = _torch()
    if not os.path.isfile(path):
        raise WeightsError(f"--torch={path}: no such file.")
    try:
        # weights_only: PyTorch's restricted unpickler (tensors and containers), as for any untrusted file.
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises RuntimeError, UnpicklingError, EOFError... for a bad file
        raise WeightsError(
            f"--torch={path}: PyTorch cannot read it as a state dict of tensors ({type(e).__name__}); pass the "
            ".pth/.pt file of the network's weights."
        ) from e
    for key in ("state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    tensors = {k: v for k, v in obj.items() if hasattr(v, "numpy")} if isinstance(obj, dict) else {}
    if not tensors:
        raise WeightsError(f"--torch={path}: holds no tensors by name (not a state dict).")
    return {k.removeprefix("module."): v.detach().cpu().numpy() for k, v in tensors.items()}


def lpips_state(net: str) -> dict[str, np.ndarray]:
    """The state dict of ``lpips.LPIPS(net=net)`` with its pretrained backbone and heads."""
    _torch()
    try:
        import lpips
    except ImportError as e:
        raise TfganError("--lpips needs the lpips package: `pip install lpips torchvision`.") from e
    try:
        model = lpips.LPIPS(net=net, pretrained=True, verbose=False)
    except OSError as e:  # urllib's URLError: torchvision downloads its ImageNet weights on first use
        raise TfganError(
            f"--lpips={net}: torchvision could not fetch its ImageNet weights of {net} ({e}); run this where it "
            "can download them once, or put them in its cache ($TORCH_HOME/hub/checkpoints)."
        ) from e
    return {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}


def write_state(state: dict[str, np.ndarray], out: str) -> None:
    """Writes `state` as an .npz at `out`, atomically (a reader sees the whole file or none)."""
    buffer = io.BytesIO()
    np.savez(buffer, **state)
    atomic_write(out, buffer.getvalue())


def convert(options: ConvertOptions) -> dict[str, np.ndarray]:
    """Converts what `options` name into `options.out`; returns the state written."""
    state = torch_state(options.torch) if options.torch else lpips_state(options.lpips)
    write_state(state, options.out)
    return state
