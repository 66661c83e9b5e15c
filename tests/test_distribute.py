"""tf.distribute: N replicas compute one device's step; multi-worker runs write once and resume.

Both strategies run in subprocesses: logical CPU devices must be configured
before TensorFlow initialises its devices, and a multi-worker strategy
configures collectives for its whole process, so neither can share the
pytest process with other tests.
"""

from __future__ import annotations

import glob
import json
import os
import socket
import subprocess
import sys
import types

import numpy as np
import pytest

from tests._util import ROOT, TINY_FLAGS, cli_env, run_module
from tfgan import config as config_lib
from tfgan import distribute
from tfgan.errors import ConfigError

TIMEOUT = 420


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory):
    """The cases of tests/_mirrored_step.py: {case: npz}, one device vs 2 replicas on 2 logical CPUs."""
    out = tmp_path_factory.mktemp("mirrored")
    script = os.path.join(ROOT, "tests", "_mirrored_step.py")
    result = subprocess.run(
        [sys.executable, script, str(out)], capture_output=True, text=True, env=cli_env(), timeout=TIMEOUT
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return {os.path.basename(p)[:-4]: dict(np.load(p)) for p in glob.glob(str(out / "*.npz"))}


def _runs(arrays, kind):
    return {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith(kind + "/")}


@pytest.mark.parametrize("case", ["mlp_k2", "dcgan_sync"])
def test_two_replicas_match_one_device_with_the_same_global_batch(mirrored, case):
    # mlp_k2: the paper's MLPs, k=2 (each replica gets half of each of the
    # k minibatches). dcgan_sync: G with BatchNorm, --sync_batchnorm, so the
    # replicas normalise with the global batch's statistics as one device
    # does. Dropout is off in both (see _mirrored_step.no_dropout); SGD, so
    # a gradient summed over replicas instead of averaged would double the step.
    arrays = mirrored[case]
    one, two, init = _runs(arrays, "one_device"), _runs(arrays, "mirrored"), _runs(arrays, "init")
    assert int(one["step"]) == int(two["step"]) == 2
    metrics = sorted(k for k in one if k.startswith("metric/"))
    assert {"metric/d_loss", "metric/g_loss", "metric/d_real", "metric/d_fake", "metric/d_grad_norm"} <= set(metrics)
    for name in metrics:  # aggregated over both replicas: one replica's alone differs
        np.testing.assert_allclose(two[name], one[name], rtol=1e-5, atol=1e-6, err_msg=name)
    weights = sorted((k for k in one if k.startswith("weight/")), key=lambda k: int(k.split("/")[1]))
    assert len(weights) == len(init) > 0
    for name in weights:
        np.testing.assert_allclose(two[name], one[name], rtol=1e-5, atol=1e-6, err_msg=name)
    # The updates themselves agree to 0.1% of the largest one (small next to the weights).
    moved = max(float(np.abs(one[name] - init[name]).max()) for name in weights)
    assert moved > 1e-4  # the steps did train
    for name in weights:
        np.testing.assert_allclose(two[name] - init[name], one[name] - init[name], atol=1e-3 * moved, err_msg=name)


def test_replicas_draw_different_dropout_masks(mirrored):
    # A Dropout layer's seed state is the same on every replica; tfgan gives
    # each replica its own rows of one global mask instead of the same mask.
    masks = mirrored["dropout"]
    a, b, rate = masks["replica0"], masks["replica1"], float(masks["rate"])
    assert rate > 0
    for mask in (a, b):
        assert set(np.unique(mask)) <= {0.0, np.float32(1 / (1 - rate))}
        assert abs((mask > 0).mean() - (1 - rate)) < 0.05
    assert (a != b).mean() > 0.2  # independent masks disagree on 2 * rate * (1 - rate) = 42% of units


def test_batchnorm_statistics_are_per_replica_without_sync(mirrored):
    # Without --sync_batchnorm each replica normalises its half of the batch
    # with that half's statistics, so the step is not one device's step.
    arrays = mirrored["dcgan_per_replica_bn"]
    one, two = _runs(arrays, "one_device"), _runs(arrays, "mirrored")
    diff = max(float(np.abs(one[k] - two[k]).max()) for k in one if k.startswith("weight/"))
    assert diff > 1e-4


def test_mixed_precision_two_replicas_match_one_device_to_float16_rounding(mirrored):
    # --mixed_precision under replicas: the loss-scaled updates and the
    # step-wide overflow check (tfgan.precision). Float16 rounds per
    # replica's half batch, so the agreement is to float16 precision.
    arrays = mirrored["dcgan_sync_mixed"]
    one, two, init = _runs(arrays, "one_device"), _runs(arrays, "mirrored"), _runs(arrays, "init")
    assert int(one["step"]) == int(two["step"]) == 2
    for name in (k for k in one if k.startswith("metric/")):
        np.testing.assert_allclose(two[name], one[name], rtol=2e-3, atol=1e-3, err_msg=name)
    weights = [k for k in one if k.startswith("weight/")]
    moved = max(float(np.abs(one[k] - init[k]).max()) for k in weights)
    assert moved > 1e-3
    for name in weights:
        np.testing.assert_allclose(two[name] - init[name], one[name] - init[name], atol=0.03 * moved, err_msg=name)


def test_an_overflowing_mixed_precision_step_is_skipped_by_both_players_on_every_replica(mirrored):
    # G's scale overflows float16 in both steps: D's update of each step is
    # undone, G's never applied, BatchNorm statistics restored; both scales
    # halve twice, on one device and on 2 replicas alike.
    arrays = mirrored["dcgan_sync_mixed_overflow"]
    init = _runs(arrays, "init")
    for kind in ("one_device", "mirrored"):
        run = _runs(arrays, kind)
        assert int(run["step"]) == 2
        np.testing.assert_array_equal(run["loss_scales"], [2.0**13, 2.0**38])
        for name in init:
            np.testing.assert_array_equal(run[name], init[name], err_msg=f"{kind} {name}")
        assert float(run["replica_spread"]) == 0.0


@pytest.mark.parametrize(
    "case", ["mlp_k2", "dcgan_sync", "dcgan_per_replica_bn", "dcgan_sync_mixed", "dcgan_sync_mixed_overflow"]
)
def test_replicas_hold_identical_copies_of_every_variable(mirrored, case):
    # Trainable weights get the same update on every replica; BatchNorm's
    # moving statistics (per-replica in Keras 3) are averaged after each step.
    assert float(mirrored[case]["mirrored/replica_spread"]) == 0.0


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _run_workers(tmp_path, model_dir, steps, tag):
    """Starts 2 workers of `python -m tfgan.train --strategy=multi_worker` on 127.0.0.1; waits for both."""
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    procs = []
    for index in range(2):
        scratch = tmp_path / f"tmp-{tag}-{index}"  # TMPDIR: where a non-chief's scratch directory goes
        scratch.mkdir()
        env = cli_env(
            TF_CONFIG=json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}),
            TFGAN_TEST_WEIGHTS=str(tmp_path / f"weights-{tag}-{index}.npz"),
            TMPDIR=str(scratch),
            CUDA_VISIBLE_DEVICES="",
        )
        args = [*TINY_FLAGS, f"--steps={steps}", f"--model_dir={model_dir}", "--strategy=multi_worker"]
        procs.append(
            subprocess.Popen(
                [sys.executable, os.path.join(ROOT, "tests", "_worker.py"), *args],
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    outputs = []
    try:
        for proc in procs:
            outputs.append(proc.communicate(timeout=TIMEOUT)[0])
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for proc, out in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, out[-4000:]
    weights = [dict(np.load(tmp_path / f"weights-{tag}-{i}.npz")) for i in range(2)]
    for index in range(2):
        assert not os.listdir(tmp_path / f"tmp-{tag}-{index}"), "a worker left scratch files behind"
    return [p.pid for p in procs], outputs, weights


def _event_file_pids(logdir):
    # Event file names end in .<host>.<pid>.<n>.v2: which process wrote each.
    return {int(os.path.basename(p).split(".")[-3]) for p in glob.glob(os.path.join(logdir, "events.out.tfevents.*"))}


def _assert_same_weights(weights):
    a, b = weights
    assert set(a) == set(b) and len(a) > 2
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_two_workers_train_identically_only_the_chief_writes_and_a_rerun_resumes(tmp_path):
    model_dir = tmp_path / "run"
    pids, outputs, weights = _run_workers(tmp_path, model_dir, steps=2, tag="first")
    chief_pid = pids[0]  # task 0 of the workers is the chief (the cluster has no "chief" task)
    assert [int(w["step"]) for w in weights] == [2, 2]
    _assert_same_weights(weights)
    assert "export:" in outputs[0] and "export:" not in outputs[1]
    assert "samples:" in outputs[0] and "samples:" not in outputs[1]
    ckpts = sorted(os.path.basename(p) for p in glob.glob(str(model_dir / "checkpoints" / "ckpt-*.index")))
    assert ckpts == ["ckpt-2.index"]
    assert sorted(os.listdir(model_dir / "export" / "generator")) == ["1"]
    assert _event_file_pids(model_dir / "logs") == {chief_pid}
    assert sorted(os.listdir(model_dir)) == ["checkpoints", "config.json", "export", "logs", "samples.png"]

    # Same command with a larger budget: both workers restore the chief's step-2 checkpoint.
    pids2, outputs2, weights2 = _run_workers(tmp_path, model_dir, steps=4, tag="rerun")
    for out in outputs2:
        assert "resuming" in out and "at step 2 of 4" in out, out[-3000:]
    assert [int(w["step"]) for w in weights2] == [4, 4]
    _assert_same_weights(weights2)
    assert any(np.abs(weights2[0][k] - weights[0][k]).max() > 0 for k in weights[0] if k != "step")
    ckpts = sorted(os.path.basename(p) for p in glob.glob(str(model_dir / "checkpoints" / "ckpt-*.index")))
    assert ckpts == ["ckpt-2.index", "ckpt-4.index"]
    assert sorted(os.listdir(model_dir / "export" / "generator")) == ["1", "2"]
    assert _event_file_pids(model_dir / "logs") == {chief_pid, pids2[0]}


def test_strategy_flags_are_validated():
    with pytest.raises(ConfigError, match="--strategy='gpus' is unknown"):
        config_lib.resolve("default", strategy="gpus")
    with pytest.raises(ConfigError, match="--tpu=grpc://10.0.0.2:8470 needs --strategy=tpu"):
        config_lib.resolve("default", tpu="grpc://10.0.0.2:8470")
    config = config_lib.resolve("default", strategy="tpu", tpu="my-tpu", sync_batchnorm=True)
    assert config_lib.from_json(config.to_json()) == config
    assert "strategy" not in config_lib.RUN_SHAPE_FIELDS  # a run may resume under another strategy


def test_global_batch_must_split_evenly_over_replicas():
    three = types.SimpleNamespace(num_replicas_in_sync=3)
    assert distribute.check_batch(48, three) == 16
    with pytest.raises(ConfigError, match=r"--batch_size=64 .* 3 replicas; .*--batch_size=66 or 63"):
        distribute.check_batch(64, three)


def test_multi_worker_without_tf_config_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ConfigError, match="needs the TF_CONFIG environment variable"):
        distribute.make_strategy("multi_worker")
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {}}')
    with pytest.raises(ConfigError, match="TF_CONFIG is not a valid cluster description"):
        distribute.make_strategy("multi_worker")
    env = cli_env()
    env.pop("TF_CONFIG", None)
    result = run_module(
        "tfgan.train", *TINY_FLAGS, f"--model_dir={tmp_path / 'run'}", "--strategy=multi_worker", env=env
    )
    assert result.returncode == 2
    assert "error: --strategy=multi_worker needs the TF_CONFIG environment variable" in result.stderr
    assert not (tmp_path / "run").exists()
