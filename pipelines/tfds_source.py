"""TensorFlow Datasets as an image source, offline."""

from __future__ import annotations

import tensorflow as tf

from pipelines.base import ImageSource, PipelineError, SourceInfo, to_uint8_image


def _prepare_hint(name: str, data_dir: str | None) -> str:
    where = data_dir or "~/tensorflow_datasets"
    return (
        f"This machine cannot download it. On a machine with internet run\n"
        f"    tfds build {name.split('/')[0]} --data_dir=DIR\n"
        f"copy DIR here and pass --data_dir=DIR (or set TFDS_DATA_DIR). Looked in: {where}"
    )


class TfdsSource(ImageSource):
    """A TFDS dataset already prepared in `data_dir` (never downloaded).

    Contract: ``{"image": uint8 [S, S, C] in 0..255, "label": int32 []}``,
    S = `image_size` or the dataset's own (square) size, C = `channels` or
    the dataset's own (1 or 3); labels are the dataset's ClassLabel, or 0
    when it has none. Order: the split's file order (deterministic).

    Args:
      name: ``"mnist"`` or ``"name/config"``, optionally ``"name:version"``.
      data_dir: Where the prepared dataset lives; None uses TFDS's default
        (``TFDS_DATA_DIR`` or ``~/tensorflow_datasets``).
      split: A TFDS split, e.g. ``"train"`` or ``"test[:1000]"``.
    """

    def __init__(self, name: str, *, data_dir=None, split="train", image_size=None, channels=None):
        import tensorflow_datasets as tfds

        spec = f"tfds:{name}"
        try:
            builder = tfds.builder(name, data_dir=data_dir)
        except tfds.core.registered.DatasetNotFoundError as e:
            raise PipelineError(f"{spec}: TFDS has no dataset named {name!r} ({str(e).splitlines()[0]}).") from e
        except Exception as e:  # tfds raises assorted errors for bad versions/configs
            raise PipelineError(f"{spec}: cannot open it in TFDS: {e}") from e
        if not tf.io.gfile.exists(builder.data_dir) or not builder.info.splits:
            raise PipelineError(f"{spec}: not prepared in the data directory.\n" + _prepare_hint(name, data_dir))
        features = builder.info.features
        image_key = "image" if "image" in features else None
        if image_key is None:
            for key, feature in features.items():
                if isinstance(feature, tfds.features.Image):
                    image_key = key
                    break
        if image_key is None:
            raise PipelineError(f"{spec}: has no image feature (features: {list(features)}).")
        label = features["label"] if "label" in features else None
        self._has_label = isinstance(label, tfds.features.ClassLabel)
        num_classes = label.num_classes if self._has_label else None
        try:
            num_examples = builder.info.splits[split].num_examples
        except (KeyError, ValueError) as e:
            raise PipelineError(f"{spec}: no split {split!r} (splits: {sorted(builder.info.splits)}): {e}") from e
        h, w, c = features[image_key].shape
        if image_size is None and (h is None or h != w):
            raise PipelineError(f"{spec}: images are {h}x{w}; pass --image_size to crop and resize them.")
        native_c = 1 if (c or 3) <= 2 else 3
        self._builder, self._split, self._key = builder, split, image_key
        needs_resize = image_size is not None and (image_size != h or h != w)
        self._size = image_size if needs_resize else None
        self._channels = channels or native_c
        self._native_c = c
        side = image_size or h
        self.info = SourceInfo(spec, (side, side, self._channels), num_examples, num_classes)

    def examples(self) -> tf.data.Dataset:
        ds = self._builder.as_dataset(split=self._split, shuffle_files=False)
        s, _, c = self.info.image_shape
        convert = self._size is not None or self._native_c != c

        def select(element):
            image = element[self._key]
            if convert:
                image = to_uint8_image(image, self._size, c)
                image.set_shape([s, s, c])
            label = tf.cast(element["label"], tf.int32) if self._has_label else tf.constant(0, tf.int32)
            return {"image": image, "label": label}

        return ds.map(select, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
