"""Two image domains, A and B, for image-to-image translation.

Two ways to give them:

- **Unpaired** (CycleGAN): ``open_domains(domain_a, domain_b)`` with each
  spec any image source spec (``digits``, ``tfds:<name>``, ``folder:<path>``,
  ``npz:<path>``, ``offline:<name>`` of `pipelines.offline`), optionally
  restricted to one class by a ``#class=`` suffix: ``npz:/data/animals.npz#class=7``,
  ``offline:animal_mnist#class=horse`` (a class name where the source has
  names, else the integer label), ``tfds:mnist#class=3``. Each domain is
  shuffled on its own every epoch (separate seeds); an epoch is max(|A|,
  |B|) image pairs, the smaller domain cycling more often.
- **Paired** (pix2pix): ``open_pairs("pairs:DIR")``. DIR holds either
  folders ``A/`` and ``B/`` whose files are matched by file name without
  extension (``A/0001.png`` with ``B/0001.jpg``; names in one folder only
  are listed in the error), or side-by-side images, A on the left half and
  B on the right, as the pix2pix datasets (facades, maps, edges2shoes) ship
  them. Pairs are shuffled together.

Both domains are given one image size and channel count: the `image_size`
asked for, else their common size (the larger one when they differ, said
in the log); the `channels` asked for, else their common count (RGB when
one is grey and the other RGB: converted, and said so).

Augmentation (``jitter``, on by default for images of 64 px and more, as
in the CycleGAN and pix2pix reference code): each image is resized to
1.12x its side and a random square of the side is cropped back, then
flipped left-right with probability 1/2; a pair gets the same crop and
flip. Random choices come from stateless ops seeded by (seed, element
index), so a resumed stream repeats them exactly.

Contract of `make_domain_dataset`: an infinite ``tf.data.Dataset`` of
``{"a": float32 [B, H, W, C], "b": float32 [B, H, W, C]}`` in [-1, 1]
(pixel 0 -> -1, 255 -> 1); with ``labels=True`` (unpaired only) also
``{"label_a": int32 [B], "label_b": int32 [B]}``, each image's class in its
source, in [0, num_classes).
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import tensorflow as tf
from absl import logging

from pipelines import open_source
from pipelines.base import Feature, ImageSource, PipelineError, SourceInfo, stream_options, to_uint8_image
from pipelines.folder import IMAGE_EXTENSIONS
from pipelines.offline import open_offline

CLASS_SEPARATOR = "#class="
# The reference code's load_size / crop_size: 286 / 256.
JITTER_SCALE = 1.12
JITTER_MIN_SIZE = 64
# Either domain's cache is kept in memory below this many bytes.
_CACHE_LIMIT_BYTES = 2 * 1024**3


def parse_domain_spec(spec: str) -> tuple[str, str | None]:
    """``"npz:/x.npz#class=7"`` -> ``("npz:/x.npz", "7")``; no suffix -> ``(spec, None)``."""
    base, sep, selector = spec.rpartition(CLASS_SEPARATOR)
    if not sep:
        return spec, None
    if not selector or not base:
        raise PipelineError(f"{spec!r}: write a class restriction as SPEC#class=NAME_OR_LABEL, e.g. digits#class=3.")
    return base, selector


class ClassSource(ImageSource):
    """One class of another source: its examples whose label is `label`.

    Contract: the parent's ``{"image": uint8 [S, S, C], "label": int32 []}``
    (`features`), only those of class `label`, in the parent's order.
    """

    def __init__(self, parent: ImageSource, label: int, spec: str):
        self._parent, self._label = parent, int(label)
        labels = _labels_of(parent)
        count = int(np.sum(labels == self._label))
        if count == 0:
            present = sorted(set(labels.tolist()))
            raise PipelineError(f"{spec}: no images of class {label} (classes present: {present}).")
        # The labels stay the parent's (all `label`), so its class count stays too.
        self.info = SourceInfo(spec, parent.info.image_shape, count, parent.info.num_classes)

    def examples(self) -> tf.data.Dataset:
        label = tf.constant(self._label, tf.int32)
        return self._parent.examples().filter(lambda e: tf.equal(e["label"], label))


def _labels_of(source: ImageSource) -> np.ndarray:
    if hasattr(source, "_y"):  # ArraySource holds them already
        return np.asarray(source._y)
    labels = [b for b in source.examples().map(lambda e: e["label"]).batch(4096).as_numpy_iterator()]
    return np.concatenate(labels) if labels else np.zeros([0], np.int32)


def open_domain(
    spec: str, *, data_dir=None, split="train", image_size=None, channels=None, role="domain"
) -> ImageSource:
    """Opens one domain: any source spec, ``offline:<name>``, optionally ``#class=``.

    Args:
      spec: See the module docstring.
      role: How errors name the domain (e.g. ``"--domain_a"``).

    Raises:
      PipelineError: The source's own errors, prefixed with `role`; an
        unknown class name (the known ones listed) or an empty class.
    """
    base, selector = parse_domain_spec(spec)
    try:
        if base.startswith("offline:"):
            source = open_offline(base.partition(":")[2], split=split, image_size=image_size, channels=channels)
        else:
            source = open_source(base, data_dir=data_dir, split=split, image_size=image_size, channels=channels)
    except PipelineError as e:
        raise PipelineError(f"{role}={spec}: {e}") from e
    if selector is None:
        return source
    names = list(getattr(source, "class_names", None) or [])
    if selector in names:
        label = names.index(selector)
    elif selector.lstrip("-").isdigit():
        label = int(selector)
    else:
        known = f"its classes: {', '.join(names)}" if names else "it has no class names; give an integer label"
        raise PipelineError(f"{role}={spec}: unknown class {selector!r} ({known}).")
    return ClassSource(source, label, spec)


@dataclasses.dataclass
class DomainPair:
    """Two opened domains with one image shape.

    Attributes:
      a, b: The sources (`ImageSource`), or None for a `paired` one.
      image_shape: ``(S, S, C)`` of both.
      num_examples: Images per epoch: max(|A|, |B|), or the pair count.
      paired: True for pix2pix pairs (then `pairs` yields both at once).
      pairs: A finite dataset of ``{"a": uint8, "b": uint8}`` when paired.
      notes: What was converted (channel counts, sizes), for the log.
    """

    a: ImageSource | None
    b: ImageSource | None
    image_shape: tuple[int, int, int]
    num_examples: int
    paired: bool = False
    pairs: tf.data.Dataset | None = None
    names: tuple[str, str] = ("A", "B")
    notes: tuple[str, ...] = ()


def _common(values, asked, what, notes, pick):
    if asked is not None:
        return asked
    if values[0] == values[1]:
        return values[0]
    chosen = pick(values)
    notes.append(f"the domains' {what} differ (A: {values[0]}, B: {values[1]}); both are converted to {chosen}")
    return chosen


def open_domains(
    domain_a: str, domain_b: str, *, data_dir=None, split="train", image_size=None, channels=None
) -> DomainPair:
    """Opens two unpaired domains at one image size and channel count (see the module docstring).

    Raises:
      PipelineError: Either domain cannot be opened or is empty.
    """
    if not domain_a or not domain_b:
        raise PipelineError("give both domains: --domain_a=SPEC --domain_b=SPEC (e.g. digits and offline:mnist_5k).")
    if domain_a.startswith("pairs:") or domain_b.startswith("pairs:"):
        raise PipelineError("pairs:DIR holds both domains; pass it as --domain_a=pairs:DIR and leave --domain_b empty.")
    probe_a = open_domain(domain_a, data_dir=data_dir, split=split, role="--domain_a")
    probe_b = open_domain(domain_b, data_dir=data_dir, split=split, role="--domain_b")
    notes: list[str] = []
    (ha, _, ca), (hb, _, cb) = probe_a.info.image_shape, probe_b.info.image_shape
    size = _common((ha, hb), image_size, "image sizes", notes, max)
    chans = _common((ca, cb), channels, "channel counts", notes, max)
    for note in notes:
        logging.warning("%s", note)
    a = _reopen(probe_a, domain_a, data_dir, split, size, chans, "--domain_a")
    b = _reopen(probe_b, domain_b, data_dir, split, size, chans, "--domain_b")
    return DomainPair(
        a,
        b,
        (size, size, chans),
        max(a.info.num_examples, b.info.num_examples),
        names=(domain_a, domain_b),
        notes=tuple(notes),
    )


def _reopen(probe, spec, data_dir, split, size, channels, role):
    if probe.info.image_shape == (size, size, channels):
        return probe
    return open_domain(spec, data_dir=data_dir, split=split, image_size=size, channels=channels, role=role)


def _stem_map(folder: str) -> dict[str, str]:
    files = {}
    for name in sorted(os.listdir(folder)):
        stem, ext = os.path.splitext(name)
        if ext.lower() in IMAGE_EXTENSIONS and os.path.isfile(os.path.join(folder, name)):
            files[stem] = os.path.join(folder, name)
    return files


def _decode(path):
    return tf.io.decode_image(tf.io.read_file(path), channels=0, expand_animations=False)


def open_pairs(spec: str, *, image_size=None, channels=None) -> DomainPair:
    """Opens ``pairs:DIR``: folders ``A/`` and ``B/`` matched by name, or side-by-side A|B images.

    Raises:
      PipelineError: No such folder, no images, names without a partner
        (listed), or unreadable files.
    """
    kind, _, root = spec.partition(":")
    if kind != "pairs" or not root:
        raise PipelineError(f"{spec!r}: paired data is given as pairs:DIR.")
    if not os.path.isdir(root):
        raise PipelineError(f"{spec}: no such folder. Pass pairs:DIR with A/ and B/ inside, or side-by-side images.")
    dir_a, dir_b = os.path.join(root, "A"), os.path.join(root, "B")
    if os.path.isdir(dir_a) or os.path.isdir(dir_b):
        if not (os.path.isdir(dir_a) and os.path.isdir(dir_b)):
            raise PipelineError(f"{spec}: holds only one of A/ and B/; paired data needs both.")
        files_a, files_b = _stem_map(dir_a), _stem_map(dir_b)
        only_a, only_b = sorted(set(files_a) - set(files_b)), sorted(set(files_b) - set(files_a))
        if only_a or only_b:
            raise PipelineError(
                f"{spec}: file names of A/ and B/ must match (extension aside); "
                f"only in A/: {only_a[:20] or 'none'}{' ...' if len(only_a) > 20 else ''}; "
                f"only in B/: {only_b[:20] or 'none'}{' ...' if len(only_b) > 20 else ''}."
            )
        if not files_a:
            raise PipelineError(f"{spec}: A/ and B/ hold no image files ({', '.join(IMAGE_EXTENSIONS)}).")
        stems = sorted(files_a)
        paths_a, paths_b = [files_a[s] for s in stems], [files_b[s] for s in stems]
        side_by_side = False
    else:
        paths_a = sorted(_stem_map(root).values())
        if not paths_a:
            raise PipelineError(f"{spec}: no A/ and B/ folders and no side-by-side image files in it.")
        paths_b, side_by_side = paths_a, True
    shapes_a, shapes_b, bad = [], [], []
    for pa, pb in zip(paths_a, paths_b, strict=True):
        try:
            sa = tuple(_decode(pa).shape)
            sb = sa if side_by_side else tuple(_decode(pb).shape)
        except tf.errors.OpError:
            bad.append(pa if side_by_side else f"{pa} / {pb}")
            continue
        if side_by_side:
            if sa[1] < 2 or sa[0] == 0:
                bad.append(pa)
                continue
            sa = sb = (sa[0], sa[1] // 2, sa[2])
        shapes_a.append(sa)
        shapes_b.append(sb)
    if bad:
        raise PipelineError(f"{spec}: {len(bad)} unreadable or empty image file(s), e.g. {bad[0]}; remove them.")
    notes: list[str] = []
    if image_size is None:
        sides = {s[:2] for s in shapes_a + shapes_b}
        if len(sides) != 1 or next(iter(sides))[0] != next(iter(sides))[1]:
            raise PipelineError(f"{spec}: images are of sizes {sorted(sides)[:4]}; pass --image_size=N.")
        image_size = next(iter(sides))[0]
    if channels is None:
        ca, cb = max(s[2] for s in shapes_a), max(s[2] for s in shapes_b)
        ca, cb = (1 if ca <= 2 else 3), (1 if cb <= 2 else 3)
        channels = _common((ca, cb), None, "channel counts", notes, max)
        for note in notes:
            logging.warning("%s", note)
    size = image_size

    def load(pa, pb):
        if side_by_side:
            image = _decode(pa)
            half = tf.shape(image)[1] // 2
            left, right = image[:, :half], image[:, half : 2 * half]
        else:
            left, right = _decode(pa), _decode(pb)
        a, b = to_uint8_image(left, size, channels), to_uint8_image(right, size, channels)
        a.set_shape([size, size, channels])
        b.set_shape([size, size, channels])
        return {"a": a, "b": b}

    pairs = tf.data.Dataset.from_tensor_slices((paths_a, paths_b)).map(
        load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
    )
    return DomainPair(
        None,
        None,
        (size, size, channels),
        len(paths_a),
        paired=True,
        pairs=pairs,
        names=(f"{spec}/A", f"{spec}/B"),
        notes=tuple(notes),
    )


def jitter_default(image_size: int) -> bool:
    """Random crop and flip are on by default for images of 64 px and more."""
    return image_size >= JITTER_MIN_SIZE


def jitter(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Resize to 1.12x, random crop back to the side, random left-right flip.

    Args:
      images: uint8 or float [S, S, C] (a pair: its two images concatenated
        on channels, so both get the same crop and flip).
      seed: int64 [2], the stateless seed of this element.

    Returns:
      float32 [S, S, C].
    """
    size = images.shape[0]
    big = int(round(size * JITTER_SCALE))
    x = tf.image.resize(tf.cast(images, tf.float32), [big, big], method="bilinear", antialias=True)
    x = tf.image.stateless_random_crop(x, [size, size, images.shape[-1]], seed=seed)
    return tf.image.stateless_random_flip_left_right(x, seed=seed + 1)


def _finite_stream(source_ds, n, h, w, c):
    if n * h * w * c <= _CACHE_LIMIT_BYTES:
        source_ds = source_ds.cache()
    return source_ds


def make_domain_dataset(
    domains: DomainPair,
    batch_size: int,
    *,
    seed: int,
    start_step: int = 0,
    augment: bool | None = None,
    labels: bool = False,
) -> tf.data.Dataset:
    """The infinite training stream of two domains (see the module contract).

    Args:
      domains: From `open_domains` or `open_pairs`.
      batch_size: Pairs per element.
      seed: Shuffle and augmentation seed (A and B shuffle with their own
        seeds derived from it).
      start_step: Elements already consumed; the stream starts where an
        uninterrupted one would be then (exact resume).
      augment: Random crop and flip; None: `jitter_default` of the size.
      labels: Also yield each image's class label (unpaired domains).

    Raises:
      PipelineError: Either domain (or the pair set) holds fewer than
        `batch_size` images, or `labels` is asked of paired data.
    """
    h, w, c = domains.image_shape
    augment = jitter_default(h) if augment is None else augment
    if batch_size < 1:
        raise PipelineError(f"batch_size must be positive, got {batch_size}")
    if domains.paired and labels:
        raise PipelineError("paired data (pairs:DIR) has no class labels.")
    if domains.paired:
        n = domains.num_examples
        if n < batch_size:
            raise PipelineError(f"--batch_size={batch_size} exceeds the {n} pairs of {domains.names[0]}.")
        stream = _finite_stream(domains.pairs, n, h, w, 2 * c).shuffle(n, seed=seed, reshuffle_each_iteration=True)
        stream = stream.repeat()
    else:
        streams = []
        for i, (source, name) in enumerate(((domains.a, domains.names[0]), (domains.b, domains.names[1]))):
            n = source.info.num_examples
            if n < batch_size:
                raise PipelineError(f"--batch_size={batch_size} exceeds the {n} images of {name}; lower it.")
            # The label travels with its image through the shuffle (dropped below unless asked for), so the
            # images come in the same order either way.
            examples = source.examples().map(lambda e: (e["image"], tf.cast(e["label"], tf.int32)))
            examples = _finite_stream(examples, n, h, w, c).shuffle(
                min(n, 100_000), seed=seed * 2 + i, reshuffle_each_iteration=True
            )
            streams.append(examples.repeat())
        stream = tf.data.Dataset.zip(tuple(streams)).map(
            lambda a, b: {"a": a[0], "b": b[0], "label_a": a[1], "label_b": b[1]}
        )
    # Element indices before any skip: a resumed stream's random crops equal the uninterrupted one's.
    stream = stream.enumerate()
    if start_step:
        stream = stream.skip(start_step * batch_size)

    def prepare(index, element):
        a, b = tf.cast(element["a"], tf.float32), tf.cast(element["b"], tf.float32)
        if augment:
            key = tf.stack([tf.constant(seed, tf.int64), index]) * 2
            if domains.paired:
                both = jitter(tf.concat([a, b], axis=-1), key)
                a, b = both[..., :c], both[..., c:]
            else:
                a, b = jitter(a, key), jitter(b, key + tf.constant([0, 1], tf.int64) * 2**40)
        out = {"a": a / 127.5 - 1.0, "b": b / 127.5 - 1.0}
        if labels:
            out.update(label_a=element["label_a"], label_b=element["label_b"])
        return out

    stream = stream.map(prepare, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return stream.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE).with_options(stream_options())


def domain_features(domains: DomainPair, batch_size: int, labels: bool = False) -> dict[str, Feature]:
    """The contract of a `make_domain_dataset` element (see `pipelines.Feature`)."""
    shape = (batch_size, *domains.image_shape)
    meaning = "[B, H, W, C] pixels of domain {}, -1 black to 1 white"
    features = {k: Feature(shape, "float32", (-1.0, 1.0), meaning.format(k.upper())) for k in "ab"}
    if labels:
        for k, source in (("a", domains.a), ("b", domains.b)):
            classes = source.info.num_classes or 1
            features[f"label_{k}"] = Feature(
                (batch_size,), "int32", (0, classes - 1), f"[B] class of each image of domain {k.upper()}"
            )
    return features


def domain_steps_per_epoch(domains: DomainPair, batch_size: int) -> int:
    """Train steps in one epoch: max(|A|, |B|) // batch_size, at least 1."""
    return max(1, domains.num_examples // batch_size)


def domain_images(source: ImageSource, limit: int | None = None) -> np.ndarray:
    """A domain's images, uint8 [N, S, S, C], in its order (the first `limit`)."""
    ds = source.examples().map(lambda e: e["image"])
    if limit is not None:
        ds = ds.take(limit)
    batches = list(ds.batch(2048).as_numpy_iterator())
    return np.concatenate(batches) if batches else np.zeros([0, *source.info.image_shape], np.uint8)
