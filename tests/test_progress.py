"""The run machinery's progress line and TensorBoard tags, whatever the family."""

import keras
import numpy as np

from tfgan.run import callbacks as cb


def test_written_scalars_renames_drops_and_keeps():
    logs = {"d_loss": 1.5, "critic_real": 0.2, "other": 3}
    tags = {"d_loss": "loss/D", "critic_real": None}
    assert cb.written_scalars(logs, tags) == {"": {"loss/D": 1.5, "other": 3.0}}
    tags = {"d_loss": ("run", "loss/D"), "critic_real": None}
    assert cb.written_scalars(logs, tags) == {"run": {"loss/D": 1.5}, "": {"other": 3.0}}


def test_progress_items_labels_and_derived_quantities():
    logs = {"d_real": 0.75, "critic_real": 2.0, "critic_fake": -0.5, "g_loss": 1.0}
    progress = (("D(x)", "d_real"), ("gap", lambda logs: logs["critic_real"] - logs["critic_fake"]), "g_loss", "absent")
    assert cb.progress_items(logs, progress) == [("D(x)", 0.75), ("gap", 2.5), ("g_loss", 1.0)]


def test_progress_bar_shows_only_the_chosen_metrics(capsys):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x, y = np.ones((8, 2), np.float32), np.zeros((8, 1), np.float32)
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=1, callbacks=[cb.ProgressBar((("error", "mae"),))])
    out = capsys.readouterr().out
    assert "error:" in out and "loss" not in out and "mae" not in out
    assert set(history.history) == {"loss", "mae"}  # every other callback still gets every metric
