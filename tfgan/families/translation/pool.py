"""`ImagePool`: the history of generated images a CycleGAN discriminator learns from.

Shrivastava et al. 2017 ("Learning from Simulated and Unsupervised Images
through Adversarial Training", sec. 2.3) and CycleGAN (Zhu et al. 2017,
sec. 4): D is updated with a mix of the newest fakes and older ones, which
damps the oscillation of the two players. As in the reference code
(``util/image_pool.py``), each image of a batch, once the pool holds
`size` images, is with probability 1/2 returned as it is, and otherwise
swapped for a random stored image, which it replaces; until then it is
stored and returned.

The pool is a Keras layer whose state (the images, the fill count and its
`keras.random.SeedGenerator`) are variables: they are checkpointed with
the model, so a resumed run draws exactly what an uninterrupted one would,
and it runs inside a compiled ``train_step``.
"""

from __future__ import annotations

import keras
from keras import ops

# Written identically on every replica (see tfgan.steps.REPLICATED): under
# several replicas the pool holds the first replica's images.
_REPLICATED = {"aggregation": "only_first_replica"}


class ImagePool(keras.layers.Layer):
    """A pool of `size` images [H, W, C].

    Args:
      size: Images kept; 0 turns the pool off (`query` returns its input).
      image_shape: ``(H, W, C)`` of the images.
      seed: Seed of the pool's draws.
    """

    def __init__(self, size, image_shape, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.size = int(size)
        self.image_shape = tuple(int(d) for d in image_shape)
        self.seed_generator = keras.random.SeedGenerator(seed)
        # A SeedGenerator is not a checkpoint dependency by itself: its state is, as an attribute.
        self.rng_state = self.seed_generator.state
        self.images = self.add_weight(
            shape=(max(self.size, 1), *self.image_shape),
            dtype="float32",
            initializer="zeros",
            trainable=False,
            name="images",
            **_REPLICATED,
        )
        self.count = self.add_weight(
            shape=(), dtype="int32", initializer="zeros", trainable=False, name="count", **_REPLICATED
        )
        self.built = True

    def query(self, images):
        """The images D is shown for the batch `images` [B, H, W, C]; updates the pool.

        Requires B <= size (the swapped slots are distinct).
        """
        if self.size == 0:
            return images
        n = images.shape[0]
        if n is not None and n > self.size:
            raise ValueError(f"an image pool of {self.size} cannot take batches of {n}; raise --pool_size.")
        n = ops.shape(images)[0]
        new = ops.cast(images, "float32")
        index = ops.arange(n, dtype="int32")
        filling = self.count + index < self.size  # the first images of a batch may still fill it
        coin = keras.random.uniform((n,), seed=self.seed_generator) < 0.5
        # Distinct slots, so the swaps of one batch never collide.
        slots = ops.cast(
            keras.random.shuffle(ops.arange(self.size, dtype="int32"), seed=self.seed_generator)[:n], "int32"
        )
        # Swaps start with the batch after the pool is full (a batch that fills the
        # last slots returns its other images as they are: no slot holds an
        # unwritten zero image).
        full = ops.equal(self.count, self.size)
        swap = ops.logical_and(ops.logical_and(ops.logical_not(filling), coin), full)
        stored = ops.take(self.images, slots, axis=0)
        out = ops.where(swap[:, None, None, None], stored, new)
        # Where each image is written: its fill slot, its swap slot, or nowhere (index `size`, dropped).
        fill_slot = ops.minimum(self.count + index, self.size)
        target = ops.where(filling, fill_slot, ops.where(swap, slots, self.size))
        # A batch holding NaN/inf (a step the NaN guard refuses) is never stored:
        # it would poison D's every later step.
        finite = ops.all(ops.isfinite(new))
        target = ops.where(finite, target, self.size)
        padded = ops.concatenate([self.images, ops.zeros((1, *self.image_shape), "float32")], axis=0)
        padded = ops.scatter_update(padded, target[:, None], new)
        self.images.assign(padded[: self.size])
        grown = ops.minimum(self.count + ops.cast(n, "int32"), self.size)
        self.count.assign(ops.where(finite, grown, self.count))
        return ops.cast(out, images.dtype)

    def call(self, images):
        return self.query(images)
