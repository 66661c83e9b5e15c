"""Does ``paper_mnist`` collapse? D(G(z)) per epoch over seeds, Algorithm 1 against the released code's update.

    python benchmarks/collapse.py --data_dir=../shared/datasets/tfds --seeds=0,1,2,3,4 --epochs=10

Trains ``--preset`` (default ``paper_mnist``: the paper's networks, loss,
k = 1 and optimiser) once per seed and per ``--update`` (``alternating`` is
Algorithm 1: D's step, then G's step on a fresh z against the updated D;
``simultaneous`` is the released code's ``AdversaryCost2``: both players'
gradients from one sample, then both updates), in a fresh run directory each.
For every run it prints the epoch means of D(G(z)) (the paper's equilibrium
is 1/2; the issue's collapse had it below 5e-3 by epoch 4), the run's
verdict, and the diversity of 1,000 samples of the final generator (the
mean over pixels of their standard deviation across samples) as a fraction
of the real training images': near 0 is one image for every z.

With ``--evaluate`` each run is also exported and scored as issue 20's
health check asks (``python benchmarks/collapse.py --updates=simultaneous
--epochs=30 --evaluate``): the paper's Parzen estimate (10,000 samples,
sigma on the last 10,000 training images, test LL), the classes the domain
classifier finds among the samples, and the lowest epoch mean of D(G(z))
after epoch 2. A run is healthy when it covers 10 classes, has Parzen >= 100
and D(G(z)) never below 1e-3 after epoch 2.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

import numpy as np
from absl import flags

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

FLAGS = flags.FLAGS
flags.DEFINE_string("data_dir", "../shared/datasets/tfds", "TFDS data directory holding mnist.")
flags.DEFINE_string("preset", "paper_mnist", "Image preset to train.")
flags.DEFINE_list("seeds", ["0", "1", "2", "3", "4"], "Training seeds.")
flags.DEFINE_list("updates", ["alternating", "simultaneous"], "Update orders to compare.")
flags.DEFINE_integer("epochs", 10, "Epochs per run.")
flags.DEFINE_float("collapsed_below", 5e-3, "A run whose epoch mean D(G(z)) falls below this has collapsed.")
flags.DEFINE_string("work_dir", None, "Where the runs go; default a temporary directory.")
flags.DEFINE_bool("evaluate", False, "Export each run and score it: Parzen LL, classes covered, health verdict.")
flags.DEFINE_integer("parzen_samples", 10_000, "Generated samples for the Parzen estimate (paper: 10,000).")


def watcher():
    """A Keras callback collecting each epoch's mean D(G(z)) and, at the end, 1,000 samples of G.

    Keras resets the trackers every epoch, so an epoch's logs are its means.
    """
    import keras

    from tfgan.families.image.blocks import sample_noise

    class _Watcher(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.d_fake, self.samples = [], None

        def on_epoch_end(self, epoch, logs=None):
            self.d_fake.append(float(logs["d_fake"]))

        def on_train_end(self, logs=None):
            gan = self.model
            z = sample_noise(gan.noise, (1000, gan.latent_dim), seed=12345)
            self.samples = keras.ops.convert_to_numpy(gan.sampling_generator(z, training=False))

    return _Watcher()


def main(argv):
    del argv
    import pipelines
    from tfgan import config as config_lib
    from tfgan import training
    from tfgan.families.image import evaluation, networks
    from tfgan.families.image.watchdog import grid_diversity

    work = FLAGS.work_dir or tempfile.mkdtemp(prefix="tfgan-collapse-")
    real = None
    rows = []
    for seed in (int(s) for s in FLAGS.seeds):
        for update in FLAGS.updates:
            model_dir = os.path.join(work, f"{update}-seed{seed}")
            config = config_lib.resolve(
                FLAGS.preset,
                data_dir=FLAGS.data_dir,
                seed=seed,
                update=update,
                epochs=FLAGS.epochs,
                model_dir=model_dir,
                export=FLAGS.evaluate,
            )
            if real is None:
                source = pipelines.open_source(
                    config.params.dataset, data_dir=FLAGS.data_dir, split=config.params.split
                )
                batch = next(iter(source.examples().batch(1000)))["image"].numpy()
                real = grid_diversity(batch.astype(np.float32) / 255.0)
                shape = source.info.image_shape
                low, high = networks.build(config.params.model, config.params.latent_dim, shape).output_range
            means = watcher()
            start = time.time()
            result = training.train(config, verbose=0, callbacks=[means])
            minutes = (time.time() - start) / 60
            spread = grid_diversity((means.samples - low) / (high - low)) / real
            collapsed = min(means.d_fake) < FLAGS.collapsed_below
            rows.append((seed, update, means.d_fake, collapsed, spread, minutes))
            series = " ".join(f"{v:.3g}" for v in means.d_fake)
            health = ""
            if FLAGS.evaluate:
                scores = evaluation.evaluate(
                    evaluation.EvalConfig(
                        export_dir=result.export_dir,
                        dataset="tfds:mnist",
                        data_dir=FLAGS.data_dir,
                        parzen_samples=FLAGS.parzen_samples,
                        train_classifier=True,
                    )
                )
                parzen = scores["parzen"]["generated"]
                classes = scores["classifier"]["classes_covered"]
                lowest = min(means.d_fake[2:], default=float("nan"))
                healthy = classes == 10 and parzen["ll"] >= 100 and lowest >= 1e-3
                health = (
                    f" | Parzen {parzen['ll']:.1f} +- {parzen['se']:.1f}, {classes} classes, "
                    f"min D(G(z)) after epoch 2 {lowest:.3g}: {'HEALTHY' if healthy else 'NOT healthy'}"
                )
            print(
                f"seed {seed} {update:12s} D(G(z)) by epoch: {series} | "
                f"{'COLLAPSED' if collapsed else 'ok'} | sample diversity {spread:.2f} of real | {minutes:.1f} min"
                + health,
                flush=True,
            )
    print()
    for update in FLAGS.updates:
        runs = [r for r in rows if r[1] == update]
        print(
            f"{update}: {sum(r[3] for r in runs)} of {len(runs)} runs collapsed "
            f"(epoch-mean D(G(z)) < {FLAGS.collapsed_below:g}); final D(G(z)) "
            + ", ".join(f"{r[2][-1]:.3g}" for r in runs)
            + "; sample diversity "
            + ", ".join(f"{r[4]:.2f}" for r in runs)
        )


if __name__ == "__main__":
    from tfgan import cli

    cli.start(main)  # user errors (missing data, bad flags) as one line, exit 2
