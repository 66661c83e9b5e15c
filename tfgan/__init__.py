"""tfgan: Goodfellow et al. 2014's GAN, and its successors, as Keras 3 models on TensorFlow.

The package is organised by model family (``tfgan/families/<name>/``) over
a family-agnostic run machinery (``tfgan/run/``) and shared pieces
(losses, regularizers, EMA, precision, distribute); see the README's
Development section and ``docs/adding_a_family.md``. Import what you use
from its module, e.g. ``from tfgan.config import resolve`` and
``from tfgan.families.image.model import GAN``: this file imports nothing,
so that `pipelines` can share `tfgan.errors` without an import cycle.
"""

__version__ = "0.2.0"
