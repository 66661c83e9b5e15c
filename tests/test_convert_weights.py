"""`python -m tfgan.convert_weights`: a PyTorch state dict as an .npz, keys and layouts unchanged; bad flags refused."""

import sys
import types

import numpy as np
import pytest

from tests._util import run_module
from tests.stylegan.test_train_cli import error_line
from tfgan import torchweights


class FakeTensor:
    """What `torchweights.torch_state` uses of a torch.Tensor."""

    def __init__(self, value):
        self.value = np.asarray(value)

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self.value


@pytest.fixture
def fake_torch(monkeypatch):
    """A `torch` module whose `load` returns what the test put in `saved[path]` (PyTorch need not be installed)."""
    saved = {}

    def load(path, map_location=None, weights_only=False):
        assert weights_only and map_location == "cpu"  # never the general unpickler
        if saved[path] is None:
            raise RuntimeError("invalid load key, 'x'.")
        return saved[path]

    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(load=load))
    return saved


def test_a_checkpoints_state_dict_is_written_with_its_keys_and_prefixes_dropped(fake_torch, tmp_path):
    pth, out = tmp_path / "model_ir_se50.pth", tmp_path / "ir_se50.npz"
    pth.write_bytes(b"stands for a torch.save file")
    weight = np.arange(6, dtype=np.float32).reshape(2, 3, 1, 1)
    fake_torch[str(pth)] = {
        "epoch": 7,
        "state_dict": {"module.input_layer.0.weight": FakeTensor(weight), "module.x.bias": FakeTensor([1.0, 2.0])},
    }
    options = torchweights.ConvertOptions(out=str(out), torch=str(pth))
    torchweights.convert(options)
    state = torchweights.read_state(str(out), "test", "--x")
    assert sorted(state) == ["input_layer.0.weight", "x.bias"]
    np.testing.assert_array_equal(state["input_layer.0.weight"], weight)  # PyTorch's layout, unchanged


def test_unreadable_or_empty_torch_files_are_named(fake_torch, tmp_path):
    bad, empty = tmp_path / "bad.pth", tmp_path / "empty.pth"
    for path, content in ((bad, None), (empty, {"epoch": 3})):
        path.write_bytes(b"x")
        fake_torch[str(path)] = content
    with pytest.raises(torchweights.WeightsError, match="PyTorch cannot read it as a state dict of tensors"):
        torchweights.torch_state(str(bad))
    with pytest.raises(torchweights.WeightsError, match="holds no tensors by name"):
        torchweights.torch_state(str(empty))
    with pytest.raises(torchweights.WeightsError, match="no such file"):
        torchweights.torch_state(str(tmp_path / "nowhere.pth"))


@pytest.mark.parametrize(
    "given, message",
    [
        ((), "--out=FILE.npz is required"),
        (("--out={tmp}/a.npz",), "give exactly one of --torch=FILE.pth"),
        (("--out={tmp}/a.npz", "--torch=x.pth", "--lpips=alex"), "give exactly one of --torch=FILE.pth"),
        (("--out={tmp}/a.npz", "--lpips=squeeze"), "--lpips='squeeze' is unknown; choose one of: alex, vgg"),
        (("--out={tmp}/a.pth", "--lpips=alex"), "end the name with .npz"),
    ],
)
def test_bad_flags_are_one_error_line_and_nothing_is_written(tmp_path, given, message):
    proc = run_module("tfgan.convert_weights", *(g.format(tmp=tmp_path) for g in given))
    error_line(proc)
    assert message in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_without_pytorch_the_converter_says_how_to_get_it(tmp_path):
    try:
        import torch  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("PyTorch is installed here")
    proc = run_module("tfgan.convert_weights", f"--out={tmp_path}/a.npz", f"--torch={tmp_path}/a.pth")
    error_line(proc)
    assert "converting PyTorch weights needs PyTorch (`pip install torch`" in proc.stderr
