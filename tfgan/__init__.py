"""tfgan: Goodfellow et al. 2014's GAN, and its successors, as Keras 3 models on TensorFlow."""

import os

# TensorFlow's C++ start-up chatter (oneDNN notes, "failed call to cuInit" on
# machines without a GPU) hides the progress bar; errors still raise Python
# exceptions. Set the variable yourself to see it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from tfgan import losses, networks  # noqa: E402
from tfgan.config import PRESETS, TrainConfig, resolve  # noqa: E402
from tfgan.errors import ConfigError, TfganError  # noqa: E402
from tfgan.gan import GAN  # noqa: E402

__version__ = "0.1.0"

__all__ = ["GAN", "PRESETS", "ConfigError", "TfganError", "TrainConfig", "losses", "networks", "resolve"]
