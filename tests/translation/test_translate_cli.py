import json
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tests.translation.helpers import ROOT, cli_env
from tfgan.families.translation import export, networks


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "tfgan.translate", *args],
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=ROOT,
        timeout=300,
    )


@pytest.fixture(scope="module")
def export_base(tmp_path_factory):
    base = tmp_path_factory.mktemp("export")
    g = networks.resnet_generator(1, filters=4, blocks=1)
    translator = export.keras_translator(g, g, image_size=8, channels=1, multiple=4)
    meta = export.write_translator(
        str(base / "1"), translator, facts={"family": "translation", "domains": {"a": "digits", "b": "mnist"}}
    )
    (base / "1" / "metadata.json").write_text(json.dumps(meta))
    return base


def test_translates_a_folder_and_writes_a_grid(export_base, tmp_path):
    inputs = tmp_path / "in"
    (inputs / "sub").mkdir(parents=True)
    (inputs / "one.png").write_bytes(tf.io.encode_png(np.zeros((9, 5, 1), np.uint8)).numpy())
    (inputs / "sub" / "two.jpg").write_bytes(tf.io.encode_jpeg(np.full((6, 6, 3), 99, np.uint8)).numpy())
    (inputs / "broken.png").write_bytes(b"not a png")
    out, grid = tmp_path / "out", tmp_path / "grid.png"
    proc = _run(
        f"--export_dir={export_base}", "--direction=b_to_a", f"--input={inputs}", f"--output={out}", f"--grid={grid}"
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "2 image(s) mnist -> digits" in proc.stdout and "skipped 1" in proc.stdout
    assert tf.io.decode_png((out / "one.png").read_bytes()).shape == (9, 5, 1)
    assert tf.io.decode_png((out / "sub" / "two.png").read_bytes()).shape == (6, 6, 3)
    assert tf.io.decode_png(grid.read_bytes()).shape == (128, 128, 3)


def test_an_unknown_direction_is_one_error_line(export_base, tmp_path):
    proc = _run(f"--export_dir={export_base}", "--direction=sideways", f"--input={tmp_path}", f"--output={tmp_path}")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == "error: --direction='sideways' is unknown; choose a_to_b or b_to_a."
    assert not any((tmp_path).iterdir())
