"""Trains a translation preset with the family's own `setup` and `model.fit`, exports it and evaluates it.

    nice -n 10 python benchmarks/translation_quality.py --preset=digits2mnist --steps=3000 --out=/tmp/q

A stand-in for ``python -m tfgan.train`` + ``tfgan.evaluate`` while the
run machinery is being moved: prints steps/s and the evaluation table.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time

import keras
import tensorflow as tf

from tfgan.families.translation import evaluation, params, presets, trainer
from tfgan.run.config import RunConfig
from tfgan.run.family import SetupContext


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="digits2mnist")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--minutes", type=float, default=17.0, help="stop training after this long")
    parser.add_argument("--out", default="/tmp/translation_quality")
    parser.add_argument("--set", action="append", default=[], help="field=value overrides (json values)")
    args = parser.parse_args()
    values = dict(presets.PRESETS[args.preset])
    for item in args.set:
        key, _, value = item.partition("=")
        values[key] = json.loads(value)
    if args.steps:
        values["steps"] = args.steps
    values["model_dir"] = args.out
    run_fields = {f.name for f in dataclasses.fields(RunConfig)}
    run = RunConfig(preset=args.preset, **{k: v for k, v in values.items() if k in run_fields})
    p = params.TranslationParams(**{k: v for k, v in values.items() if k not in run_fields})
    t = trainer.setup(SetupContext(run=run, params=p, strategy=tf.distribute.get_strategy(), fresh=True))
    print(t.params)
    start = time.time()

    class Budget(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if (batch + 1) % 100 == 0:
                print(f"step {batch + 1}: {t.report(logs)} ({time.time() - start:.0f} s)", flush=True)
            if time.time() - start > args.minutes * 60:
                self.model.stop_training = True

    t.model.fit(t.dataset(0), steps_per_epoch=run.steps, epochs=1, verbose=0, callbacks=[Budget()])
    seconds, done = time.time() - start, int(t.model.step.numpy())
    print(f"{done} of {run.steps} steps in {seconds:.0f} s: {done / seconds:.2f} steps/s", flush=True)
    os.makedirs(args.out, exist_ok=True)
    tf.train.Checkpoint(**t.checkpoint).save(os.path.join(args.out, "checkpoints", "ckpt"))
    t.finish(args.out)
    export_dir = os.path.join(args.out, "export", "translator", "1")
    meta = t.export(export_dir)
    with open(os.path.join(export_dir, "metadata.json"), "w") as f:
        json.dump(meta, f, indent=2)
    results = evaluation.evaluate({"export_dir": export_dir, "num_images": 1000})
    print(evaluation.format_results(results))
    with open(os.path.join(args.out, "eval.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
