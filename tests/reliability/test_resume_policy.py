"""A resume with changed flags: shape and meaning changes are refused, the rest logged old -> new and recorded."""

import json
import logging

import numpy as np
import pytest

from tests._util import tiny_config
from tfgan import training
from tfgan.errors import ConfigError
from tfgan.run import recovery


@pytest.fixture
def run(tmp_path):
    training.train(tiny_config(tmp_path, steps=2), verbose=0)
    return tmp_path


def other_npz(run):
    np.savez(run / "other.npz", x=np.zeros((20, 8, 8), np.uint8))
    return f"npz:{run / 'other.npz'}"


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("loss", "hinge", "--loss: checkpoint has 'non_saturating', now 'hinge'"),
        ("batch_size", 8, "--batch_size: checkpoint has 16, now 8"),
        ("dataset", other_npz, "--dataset: checkpoint has 'digits', now 'npz:"),
        ("seed", 3, "--seed: checkpoint has 0, now 3"),
    ],
)
def test_changes_of_meaning_are_refused_and_config_json_kept(run, field, value, message):
    before = (run / "config.json").read_text()
    value = value(run) if callable(value) else value
    with pytest.raises(ConfigError, match="does not fit this config") as e:
        training.train(tiny_config(run, steps=4, **{field: value}), verbose=0)
    assert message in str(e.value)
    assert (run / "config.json").read_text() == before
    assert not (run / recovery.HISTORY_FILE).exists()


def test_accepted_changes_are_logged_and_recorded(run, caplog):
    with caplog.at_level(logging.INFO):
        training.train(tiny_config(run, steps=4, lr=1e-4, checkpoint_every=1), verbose=0)
    assert "resuming at step 2 with --lr changed: 0.0002 -> 0.0001" in caplog.text
    assert "--steps changed: 2 -> 4" in caplog.text
    entries = recovery.history(str(run))
    assert len(entries) == 1 and entries[0]["step"] == 2
    assert entries[0]["changes"]["lr"] == [0.0002, 0.0001] and entries[0]["changes"]["checkpoint_every"] == [2, 1]
    assert json.loads((run / "config.json").read_text())["lr"] == 1e-4
    training.train(tiny_config(run, steps=6, lr=1e-4, checkpoint_every=1), verbose=0)
    entries = recovery.history(str(run))
    assert [e["step"] for e in entries] == [2, 4] and entries[1]["changes"] == {"steps": [4, 6]}


def test_resume_changes_sorts_fields():
    saved = dict(loss="minimax", lr=0.1, latent_dim=100, model_dir="a", batch_size=64)
    new = dict(loss="hinge", lr=0.2, latent_dim=8, model_dir="b", batch_size=32)
    refusals, accepted = recovery.resume_changes(saved, new, refused={"loss": "why"}, shape_fields=("latent_dim",))
    # --batch_size is the run's own (REFUSED_ON_RESUME); --loss the family's; --latent_dim a shape field.
    assert [r.split(":")[0] for r in refusals] == ["--batch_size", "--latent_dim", "--loss"]
    assert accepted == {"lr": (0.1, 0.2), "model_dir": ("a", "b")}
