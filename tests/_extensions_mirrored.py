"""Run by tests/image/test_extensions.py in a fresh process: the GAN with each extension, on 2 replicas.

TensorFlow fixes its logical devices when it first initialises them, so the
2 logical CPUs exist only in this process. Prints one line per extension:
``RESULT <name> <finite> <replica spread> <d_updates>``, the spread being the
largest difference between two replicas' copies of any variable of G, D and
the EMA generator.

Usage: python tests/_extensions_mirrored.py
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]

import tensorflow as tf  # noqa: E402

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2
)

import _mirrored_step  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

from tfgan.families.image import networks  # noqa: E402
from tfgan.families.image.model import GAN  # noqa: E402
from tfgan.families.image.replicas import distributed, prepare_gan  # noqa: E402

EXTENSIONS = {
    "gp": dict(gp_weight=10.0),
    "r1_lazy": dict(r1_gamma=1.0, r1_interval=2),
    "diffaugment": dict(diffaugment="translation,cutout,color"),
    "ema": dict(ema_decay=0.9),
}


def main():
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    for name, extensions in [*EXTENSIONS.items(), ("spectral_norm", {})]:
        with strategy.scope():
            nets = networks.build("dcgan", 4, (8, 8, 1), spectral_norm=name == "spectral_norm")
            gan = GAN(nets.generator, nets.discriminator, latent_dim=4, noise=nets.noise, d_steps=2, seed=3)
            gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1), loss="wasserstein", extensions=extensions)
            gan.build_optimizers()
            prepare_gan(gan, strategy)
        data = distributed(_mirrored_step.data((8, 8, 1), 2), strategy)
        history = gan.fit(data, epochs=1, verbose=0, shuffle=False).history
        finite = all(np.all(np.isfinite(np.ravel(v[-1]))) for v in history.values())
        ema_vars = gan.ema_generator.variables if gan.ema_generator is not None else []
        spread = 0.0
        for v in nets.generator.variables + nets.discriminator.variables + list(ema_vars):
            copies = [np.asarray(c) for c in strategy.experimental_local_results(v.value)]
            spread = max([spread] + [float(np.abs(c.astype(np.float64) - copies[0]).max()) for c in copies])
        print("RESULT", name, finite, spread, int(gan.d_updates.numpy()))


if __name__ == "__main__":
    main()
