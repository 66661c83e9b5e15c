"""Train the chorales preset for a fixed time, then measure its samples against the real chorales.

    nice -n 10 python benchmarks/music_quality.py --minutes=25 --model_dir=runs/chorales_quality

Trains `tfgan.families.music` with the ``chorales`` preset (resuming the
checkpoint in --model_dir if there is one) until --minutes of training
have passed, exports the generator, draws --num samples and prints
MuseGAN's metrics of the samples beside those of the real chorales
(non-overlapping 4-bar phrases), their ratios, and whether each per-track
metric lies within 15% of the real data's (the issue's target), plus the
diversity figures. Writes <model_dir>/quality.json, samples.png and a few
MIDI files (and WAVs where FluidSynth is installed).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=25.0, help="training time (the issue's budget: 30)")
    parser.add_argument("--model_dir", default="runs/chorales_quality")
    parser.add_argument("--num", type=int, default=1000, help="samples measured")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import keras
    import tensorflow as tf

    from tfgan.families.music import audio, evaluation, trainer
    from tfgan.families.music.params import MusicParams
    from tfgan.families.music.presets import PRESETS
    from tfgan.fileio import atomic_write
    from tfgan.run.config import RunConfig
    from tfgan.run.family import SetupContext

    preset = PRESETS["chorales"]
    fields = {f.name for f in dataclasses.fields(MusicParams)}
    params = MusicParams(**{k: v for k, v in preset.items() if k in fields})
    run = RunConfig(model_dir=args.model_dir, steps=10**9, batch_size=preset["batch_size"], seed=args.seed)
    os.makedirs(args.model_dir, exist_ok=True)
    t = trainer.setup(SetupContext(run=run, params=params, strategy=tf.distribute.get_strategy(), fresh=True))
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(**t.checkpoint), os.path.join(args.model_dir, "ckpt"), 2)
    if manager.latest_checkpoint:
        tf.train.Checkpoint(**t.checkpoint).restore(manager.latest_checkpoint)
    start_step = int(t.model.step.numpy())

    class TimeLimit(keras.callbacks.Callback):
        def __init__(self, seconds):
            super().__init__()
            self.deadline = time.monotonic() + seconds

        def on_train_batch_end(self, batch, logs=None):
            if time.monotonic() > self.deadline:
                self.model.stop_training = True

    started = time.monotonic()
    history = t.model.fit(
        t.dataset(start_step),
        steps_per_epoch=t.steps_per_epoch,
        epochs=10**6,
        verbose=0,
        callbacks=[TimeLimit(args.minutes * 60)],
    )
    trained_s = time.monotonic() - started
    manager.save()
    steps = int(t.model.step.numpy())
    logs = {k: float(v[-1]) for k, v in history.history.items()}
    print(f"trained steps {start_step}..{steps} in {trained_s / 60:.1f} min; {t.report(logs)}")
    written = t.finish(args.model_dir)
    base = os.path.join(args.model_dir, "export")
    taken = [int(d) for d in os.listdir(base) if d.isdigit()] if os.path.isdir(base) else []
    version = os.path.join(base, str(max(taken, default=0) + 1))
    os.makedirs(version, exist_ok=True)
    info = {**t.export(version), "family": "music"}
    atomic_write(os.path.join(version, "metadata.json"), json.dumps(info, indent=2) + "\n")
    results = evaluation.evaluate(evaluation.EvalOptions(export_dir=version, num=args.num, seed=args.seed))
    print(evaluation.format_results(results))
    within = {}
    for name, value in results["samples"].items():
        if name.startswith(("UPC", "QN", "TD")):
            real = results["real"][name]
            within[name] = abs(value - real) <= 0.15 * abs(real)
        elif name.startswith("EB"):
            within[name] = abs(value - results["real"][name]) <= 0.15  # EB is ~0 for the real data: absolute
    ok = sum(within.values())
    print(
        f"within 15% of the real data: {ok}/{len(within)} metrics; failing: "
        f"{', '.join(k for k, v in within.items() if not v) or 'none'}"
    )
    d = results["diversity"]
    print(f"distinct {d['distinct']:.1%} (target >= 99%), copies {d['copies']:.1%} (target < 1%)")
    results.update(
        trained_steps=steps,
        trained_minutes=trained_s / 60,
        within_15pct=within,
        written=written,
        fluidsynth=audio.fluidsynth_available(),
    )
    atomic_write(
        os.path.join(args.model_dir, "quality.json"),
        json.dumps(results, indent=2, default=lambda x: None if isinstance(x, float) and math.isnan(x) else x),
    )


if __name__ == "__main__":
    main()
