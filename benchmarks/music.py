"""Speed and memory of the music family's chorales preset, in one run.

    nice -n 10 python benchmarks/music.py [--steps=20] [--samples=256]

Prints: training steps/s of the ``chorales`` preset (batch 64, k=5 critic
updates per step, after a compiled warm-up), the process's peak resident
memory, and the throughput of sampling an export (its ``sample``
signature) and of writing the phrases as MIDI files. No baseline ratio:
these are the first numbers of this family, measured on whatever machine
runs the script (say which when you quote them).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20, help="timed train steps (after 3 warm-up steps)")
    parser.add_argument("--samples", type=int, default=256, help="phrases sampled and written as MIDI")
    args = parser.parse_args()

    import dataclasses

    import numpy as np
    import tensorflow as tf

    from tfgan.families.music import export, midi, sampling, trainer
    from tfgan.families.music.params import MusicParams
    from tfgan.families.music.presets import PRESETS
    from tfgan.run.config import RunConfig
    from tfgan.run.family import SetupContext

    preset = PRESETS["chorales"]
    fields = {f.name for f in dataclasses.fields(MusicParams)}
    params = MusicParams(**{k: v for k, v in preset.items() if k in fields})
    with tempfile.TemporaryDirectory() as tmp:
        run = RunConfig(model_dir=tmp, steps=args.steps, batch_size=preset["batch_size"])
        t = trainer.setup(SetupContext(run=run, params=params, strategy=tf.distribute.get_strategy(), fresh=True))
        ds = t.dataset(0)
        start = time.perf_counter()
        t.model.fit(ds, steps_per_epoch=3, epochs=1, verbose=0)
        compile_s = time.perf_counter() - start
        start = time.perf_counter()
        t.model.fit(ds, steps_per_epoch=args.steps, epochs=1, verbose=0)
        train_s = time.perf_counter() - start
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        directory = os.path.join(tmp, "export")
        os.makedirs(directory)
        info = {**t.export(directory), "family": "music"}
        with open(os.path.join(directory, "metadata.json"), "w") as f:
            json.dump(info, f)
        export.sample_pianorolls(directory, np.arange(8))  # load and trace once
        start = time.perf_counter()
        rolls = export.sample_pianorolls(directory, np.arange(args.samples))
        sample_s = time.perf_counter() - start
        start = time.perf_counter()
        midi.write_midi_files(os.path.join(tmp, "midi"), rolls, **sampling.midi_options(info))
        midi_s = time.perf_counter() - start
    print(
        f"chorales preset: {args.steps / train_s:.2f} train steps/s ({preset['batch_size']} phrases x "
        f"{params.d_steps} critic updates per step; first 3 steps incl. tracing {compile_s:.0f} s)"
    )
    print(f"peak resident memory: {peak_mib:.0f} MiB")
    print(
        f"sampling an export: {args.samples / sample_s:.0f} phrases/s; writing MIDI: {args.samples / midi_s:.0f} files/s"
    )


if __name__ == "__main__":
    main()
