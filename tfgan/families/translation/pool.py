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

Under several replicas (``--strategy``) the pool is one pool of the global
batch, as on one device: every replica gathers all replicas' fakes (in
replica order, which is the order of the global batch), makes the same
draws from the same seed state on them, so all replicas write the same
images into identical copies of the pool, and keeps its own rows of the
answer. A step under N replicas thus stores and returns exactly what one
device's step with the same global batch does.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

# Written identically on every replica (every replica queries with the global
# batch, see `ImagePool.query`); tfgan.steps.REPLICATED.
_REPLICATED = {"aggregation": "only_first_replica"}


def _replica_context():
    """The replica context of a step on more than one replica, else None."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return None
    return ctx


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

        Under N replicas `images` is this replica's B of the global N x B and
        the pool takes the global batch (module docstring). Requires the
        global batch <= size (the swapped slots are distinct).
        """
        if self.size == 0:
            return images
        ctx = _replica_context()
        if ctx is None:
            return self._query(images)
        # No gradient flows into the pool (D's fakes are stopped), so a plain gather.
        local = ops.shape(images)[0]
        everything = ctx.all_gather(tf.stop_gradient(images), axis=0)
        n = images.shape[0] * ctx.num_replicas_in_sync if images.shape[0] is not None else None
        everything = tf.ensure_shape(everything, [n, *images.shape[1:]])  # all_gather loses the static shape
        out = self._query(everything, replicas=ctx.num_replicas_in_sync)
        start = ops.cast(ctx.replica_id_in_sync_group, "int32") * local
        return out[start : start + local]

    def _query(self, images, replicas=1):
        n = images.shape[0]
        if n is not None and n > self.size:
            what = f"batches of {n}" if replicas == 1 else f"a global batch of {n} ({replicas} replicas)"
            raise ValueError(f"an image pool of {self.size} cannot take {what}; raise --pool_size.")
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
