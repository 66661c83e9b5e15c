"""The translator export: a two-way image filter as one SavedModel.

``export/translator/<version>/`` (versions by `tfgan.run.exports.publish`)
holds these signatures (standard TensorFlow ops only: the SavedModel loads
and runs without tfgan or Keras, in TF Serving as in ``tf.saved_model.load``):

- ``a_to_b`` / ``b_to_a``: ``images`` uint8 [N, H, W, C] -> ``images``
  uint8 [N, H, W, C], any H, W > 0 and any C in 1..4 (grey, grey+alpha,
  RGB, RGBA). Colours are converted to the model's channel count and back
  to the input's; an alpha channel passes through unchanged. With
  ``serve_size=train`` (default) the images are resized to the training
  size, translated and resized back to H x W; with ``serve_size=native``
  the network runs fully convolutionally on H x W itself, edge-padded to
  its multiple and cropped back.
- ``serving_default``: ``a_to_b``.
- ``a_to_b_png`` / ``b_to_a_png``: ``png_bytes`` string [N] of encoded PNG
  or JPEG images (each of its own size) -> ``png_bytes`` string [N] of PNGs,
  for TF Serving's REST API: inputs are sent as ``{"b64": ...}``, and the
  ``_bytes`` suffix makes TF Serving answer base64 too (raw PNG bytes are
  not valid JSON).

A 0x0 image, a channel count outside 1..4, or bytes that are not a PNG or
JPEG fail the call with InvalidArgumentError and a message saying which:
the server answers that request with an error and goes on serving.

`Translator` is built from any two image -> image functions, so other
families (an encoder and a generator, issue 21) export the same format.
"""

from __future__ import annotations

import tensorflow as tf

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
DIRECTIONS = ("a_to_b", "b_to_a")
EXPORT_NAME = "translator"


def _to_float(images):
    return tf.cast(images, tf.float32) / 127.5 - 1.0


def _to_uint8(images):
    return tf.cast(tf.clip_by_value(tf.round((tf.cast(images, tf.float32) + 1.0) * 127.5), 0.0, 255.0), tf.uint8)


def _check_images(images):
    shape = tf.shape(images)
    checks = [
        tf.debugging.assert_greater(
            shape[1] * shape[2], 0, message="the image has zero height or width (0x0); send an image of at least 1x1"
        ),
        tf.debugging.assert_less_equal(
            shape[3], 4, message="images must have 1 to 4 channels (grey, grey+alpha, RGB, RGBA)"
        ),
        tf.debugging.assert_greater(shape[3], 0, message="images must have 1 to 4 channels, got 0"),
    ]
    with tf.control_dependencies(checks):
        return tf.identity(images)


def _colour_to(x, channels):
    """[N, H, W, 1 or 3] float -> [N, H, W, channels]."""
    have = x.shape[-1]
    if have == channels:
        return x
    if channels == 1:
        return tf.image.rgb_to_grayscale(x)
    return tf.image.grayscale_to_rgb(x)


def model_colour(x, channels):
    """float [N, H, W, 1..4] in [-1, 1] -> [N, H, W, channels]: grey(+alpha) or RGB(A) to a model's colours.

    The alpha channel is dropped; grey becomes RGB and RGB grey as needed.
    Public so that other exports taking any image (an encoder's) read
    colours as the translator does.
    """
    cin = tf.shape(x)[3]
    colour = tf.cond(
        cin <= 2,
        lambda: _colour_to(tf.ensure_shape(x[..., :1], [None, None, None, 1]), channels),
        lambda: _colour_to(tf.ensure_shape(x[..., :3], [None, None, None, 3]), channels),
    )
    return tf.ensure_shape(colour, [None, None, None, channels])


def _edge_pad_to(x, multiple, min_size=1):
    """Pads H and W of [N, H, W, C] up to multiples of `multiple` (and >= `min_size`) by repeating the edge pixels.

    Edge (replicate) padding, written as a gather with clipped indices:
    unlike reflect padding it works for images smaller than the padding.
    """
    h, w = tf.shape(x)[1], tf.shape(x)[2]
    ph = tf.maximum(h + (-h) % multiple, min_size) - h
    pw = tf.maximum(w + (-w) % multiple, min_size) - w
    rows = tf.clip_by_value(tf.range(h + ph) - ph // 2, 0, h - 1)
    cols = tf.clip_by_value(tf.range(w + pw) - pw // 2, 0, w - 1)
    x = tf.gather(tf.gather(x, rows, axis=1), cols, axis=2)
    return x, ph // 2, pw // 2


class Translator(tf.Module):
    """The servable filter built from two image -> image functions.

    Args:
      a_to_b: float32 [N, S, S, C] in [-1, 1] -> the same, domain A to B
        (e.g. a Keras generator called with ``training=False``).
      b_to_a: The other way, or None (then ``b_to_a`` signatures are absent).
      image_size: S, the training size (``serve_size="train"``).
      channels: C of the functions' images.
      multiple: With ``serve_size="native"``: the input sides the functions
        take must be multiples of this.
      min_size: With ``serve_size="native"``: and at least this (a multiple
        of `multiple`; e.g. the ResNet generator's reflect padding needs 2
        pixels at its lowest resolution).
      serve_size: ``"train"`` or ``"native"`` (see the module docstring).
      track: Objects whose variables the functions use (the Keras models):
        tracked so that the SavedModel holds them.
    """

    def __init__(
        self, a_to_b, b_to_a=None, *, image_size, channels, multiple=1, min_size=1, serve_size="train", track=()
    ):
        super().__init__(name="translator")
        if serve_size not in ("train", "native"):
            raise ValueError(f"serve_size must be 'train' or 'native', got {serve_size!r}")
        self._tracked = list(track)
        self._functions = {"a_to_b": a_to_b, "b_to_a": b_to_a}
        self._size, self._channels = int(image_size), int(channels)
        self._multiple, self._serve_size = int(multiple), serve_size
        self._min_size = max(int(min_size), self._multiple)
        images = tf.TensorSpec([None, None, None, None], tf.uint8, name="images")
        png = tf.TensorSpec([None], tf.string, name="png_bytes")
        for direction in DIRECTIONS:
            if self._functions[direction] is None:
                continue
            # No Python control flow on tensors here (tf.cond and tf.switch_case are
            # explicit): autograph is off, so tracing never re-reads the source files.
            fn = tf.function(self._images_fn(direction), input_signature=[images], autograph=False)
            setattr(self, direction, fn)
            png_fn = tf.function(self._png_fn(direction), input_signature=[png], autograph=False)
            setattr(self, f"{direction}_png", png_fn)

    def signatures(self) -> dict:
        """The signatures to save: both directions' and ``serving_default``."""
        out = {"serving_default": self.a_to_b}
        for direction in DIRECTIONS:
            if self._functions[direction] is not None:
                out[direction] = getattr(self, direction)
                out[f"{direction}_png"] = getattr(self, f"{direction}_png")
        return out

    def translate(self, direction, images):
        """uint8 [N, H, W, C_in] -> uint8 [N, H, W, C_in] (the graph the signatures run)."""
        images = _check_images(tf.convert_to_tensor(images, tf.uint8))
        # An empty batch is answered empty (reflect padding refuses a batch of 0).
        return tf.cond(
            tf.shape(images)[0] > 0, lambda: self._translate(direction, images), lambda: tf.zeros_like(images)
        )

    def _translate(self, direction, images):
        fn = self._functions[direction]
        cin = tf.shape(images)[3]
        h, w = tf.shape(images)[1], tf.shape(images)[2]
        x = _to_float(images)
        colour = model_colour(x, self._channels)
        if self._serve_size == "train":
            small = tf.image.resize(colour, [self._size, self._size], method="bilinear", antialias=True)
            out = tf.image.resize(fn(small), [h, w], method="bilinear", antialias=True)
        else:
            padded, top, left = _edge_pad_to(colour, self._multiple, self._min_size)
            out = fn(padded)[:, top : top + h, left : left + w, :]
        out = tf.ensure_shape(out, [None, None, None, self._channels])
        grey, rgb = _colour_to(out, 1), _colour_to(out, 3)
        alpha = x[..., -1:]
        result = tf.switch_case(
            cin - 1,
            [lambda: grey, lambda: tf.concat([grey, alpha], -1), lambda: rgb, lambda: tf.concat([rgb, alpha], -1)],
        )
        return _to_uint8(result)

    def _images_fn(self, direction):
        def fn(images):
            return {"images": self.translate(direction, images)}

        return fn

    def _png_fn(self, direction):
        def one(data):
            head = tf.strings.substr(data, 0, 8)
            is_image = tf.logical_or(
                tf.equal(head, tf.constant(PNG_MAGIC)), tf.equal(tf.strings.substr(data, 0, 3), JPEG_MAGIC)
            )
            check = tf.debugging.Assert(
                is_image, ["the input is not a PNG or JPEG image (send the encoded file's bytes, base64 in JSON)"]
            )
            with tf.control_dependencies([check]):
                image = tf.io.decode_image(data, channels=0, dtype=tf.uint8, expand_animations=False)
            image = tf.ensure_shape(image, [None, None, None])
            return tf.io.encode_png(self.translate(direction, image[None])[0])

        def fn(png_bytes):
            return {"png_bytes": tf.map_fn(one, png_bytes, fn_output_signature=tf.TensorSpec([], tf.string))}

        return fn


def write_translator(staging_dir: str, translator: Translator, *, facts: dict) -> dict:
    """Saves `translator` into `staging_dir` (for `tfgan.run.exports.publish`).

    Args:
      staging_dir: An empty directory.
      translator: The module.
      facts: The family's metadata (domains, model, ...), returned with the
        size, channels, serve size and signatures added.

    Returns:
      The metadata for metadata.json.
    """
    signatures = translator.signatures()
    tf.saved_model.save(translator, staging_dir, signatures=signatures)
    image = ["uint8", [None, None, None, None]]
    described = {}
    for name in signatures:
        if name.endswith("_png"):
            described[name] = {
                "inputs": {"png_bytes": ["string", [None]]},
                "outputs": {"png_bytes": ["string", [None]]},
            }
        else:
            described[name] = {"inputs": {"images": image}, "outputs": {"images": image}}
    return {
        **facts,
        "image_size": translator._size,
        "channels": translator._channels,
        "serve_size": translator._serve_size,
        "multiple": translator._multiple,
        "directions": [d for d in DIRECTIONS if translator._functions[d] is not None],
        "signatures": described,
    }


def keras_translator(g_ab, g_ba=None, *, image_size, channels, multiple, min_size=1, serve_size="train") -> Translator:
    """A `Translator` of two Keras generators (``b_to_a`` absent when `g_ba` is None)."""

    def wrap(model):
        if model is None:
            return None
        return lambda x: tf.cast(model(x, training=False), tf.float32)

    return Translator(
        wrap(g_ab),
        wrap(g_ba),
        image_size=image_size,
        channels=channels,
        multiple=multiple,
        min_size=min_size,
        serve_size=serve_size,
        track=[m for m in (g_ab, g_ba) if m is not None],
    )
