"""MuseGAN's networks (Dong et al. 2018, "MuseGAN: Multi-track Sequential GANs").

Shapes: a piano-roll batch is ``[N, bars, steps, pitches, tracks]``; a
bar is ``[steps, pitches]`` per track; O = pitches / 12 octaves, R =
steps / 4 steps per beat.

Generator (paper, sec. 3 and fig. 3-4): the noise is split by who shares
it and whether it changes from bar to bar:

- ``z`` [shared_latent]: shared by all tracks, the same in every bar;
- ``z_temporal`` [shared_temporal_latent]: shared, through the shared
  *temporal generator* into one latent per bar;
- ``z_tracks`` [tracks, private_latent]: one per generated track;
- ``z_tracks_temporal`` [tracks, private_temporal_latent]: one per track,
  through that track's private temporal generator.

(Without ``temporal`` the time-dependent noise is drawn per bar:
``[bars, d]`` and ``[tracks, bars, d]``.) The *composer* model has the
shared noise and one bar generator making all tracks; *jamming* has the
private noise and a bar generator per track; *hybrid* has both. A bar
generator maps a bar's latent vector to a bar: a dense layer, transposed
convolutions doubling time up to ``steps``, one over pitch making the
octaves, and one with pitch stride 12 making the semitones of each octave
(``refine``: then two 3x3 convolutions over steps and pitches, added to the
logits). ``harmony_width``: a `Harmony` layer adds to every generated
track's logits a pitch-class bias computed from all tracks' pitch classes
around each step, so separately generated tracks can agree on harmony
between bar latents.

Track-conditional accompaniment (MuseGAN v1's conditional models): an
encoder of the given tracks' bars mirrors the bar generator, and its
feature map at each resolution is concatenated to the bar generator's
input at that layer (every bar generator gets the same features).

Discriminator (MuseGAN's later code, ``musegan/presets/discriminator``):
per-track streams (pitch-then-time and time-then-pitch convolutions),
merged; a chroma stream of beat-level pitch-class counts; an onset/offset
stream; the three concatenated and reduced over bars to one critic score.
No batch normalisation (WGAN-GP penalises per-example gradients).
"""

from __future__ import annotations

import keras
from keras import layers, ops

from tfgan import precision
from tfgan.families.music.params import MusicParams

OUTPUT = "pianoroll"


def latent_shapes(p: MusicParams) -> dict[str, tuple[int, ...]]:
    """Name -> shape (without the batch axis) of each noise input of `p`'s generator, in input order."""
    tracks = len(p.generated_indices)
    shapes = {}
    if p.model in ("composer", "hybrid"):
        if p.shared_latent:
            shapes["z"] = (p.shared_latent,)
        if p.shared_temporal_latent:
            shapes["z_temporal"] = (p.shared_temporal_latent,) if p.temporal else (p.bars, p.shared_temporal_latent)
    if p.model in ("jamming", "hybrid"):
        if p.private_latent:
            shapes["z_tracks"] = (tracks, p.private_latent)
        if p.private_temporal_latent:
            d = p.private_temporal_latent
            shapes["z_tracks_temporal"] = (tracks, d) if p.temporal else (tracks, p.bars, d)
    return shapes


def _expose(owner, name, items) -> None:
    """Makes each layer of `items` (lists, tuples, dict values) an attribute of `owner`.

    TensorFlow checkpoints do not see layers held in a Keras layer's lists or
    dicts (only Keras' own weight lists do), so each also gets a name.
    """
    flat = []
    for item in items.values() if isinstance(items, dict) else items:
        flat.extend(item if isinstance(item, tuple | list) else [item])
    for i, layer in enumerate(flat):
        setattr(owner, f"_{name}_{i}", layer)


def _time_doublings(steps: int) -> int:
    """How many times the bar generator doubles time: up to 4, from the odd part of `steps` or more."""
    n = 0
    while steps % 2 == 0 and n < 4:
        steps //= 2
        n += 1
    return n


class TemporalGenerator(keras.layers.Layer):
    """z [N, d] -> per-bar latents [N, bars, d_out] (MuseGAN's G_temp: dense, then a transposed conv over bars)."""

    def __init__(self, bars, units, width=256, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(width, use_bias=False)
        self.bn0 = layers.BatchNormalization()
        self.tconv = layers.Conv1DTranspose(width, bars, padding="valid", use_bias=False)
        self.bn1 = layers.BatchNormalization()
        self.out = layers.Dense(units, use_bias=False)
        self.bn2 = layers.BatchNormalization()

    def call(self, z, training=False):
        h = ops.relu(self.bn0(self.dense(z), training=training))
        h = ops.relu(self.bn1(self.tconv(ops.expand_dims(h, 1)), training=training))
        return ops.relu(self.bn2(self.out(h), training=training))


class ConditionEncoder(keras.layers.Layer):
    """Given tracks' bars [M, steps, pitches, C] -> feature maps keyed by resolution, mirroring `BarGenerator`."""

    def __init__(self, steps, octaves, width=16, **kwargs):
        super().__init__(**kwargs)
        self.octave = layers.Conv2D(width, (1, 12), strides=(1, 12))
        self.pitch = layers.Conv2D(width, (1, octaves), padding="valid")
        self.time = [
            layers.Conv2D(width * 2 ** (i + 1), (4, 1), strides=(2, 1), padding="same")
            for i in range(_time_doublings(steps))
        ]
        _expose(self, "time", self.time)

    def call(self, bars):
        maps = {}
        h = ops.leaky_relu(self.octave(bars), 0.2)
        maps["octaves"] = h  # [M, steps, octaves, w]
        h = ops.leaky_relu(self.pitch(h), 0.2)
        maps[int(h.shape[1])] = h  # [M, steps, 1, w]
        for conv in self.time:
            h = ops.leaky_relu(conv(h), 0.2)
            maps[int(h.shape[1])] = h  # [M, steps / 2^i, 1, w 2^i]
        return maps


class BarGenerator(keras.layers.Layer):
    """One bar's latent [M, d] -> bars [M, steps, pitches, channels] in the output activation's range."""

    def __init__(
        self,
        steps,
        octaves,
        channels,
        width=256,
        activation="sigmoid",
        upsample="transpose",
        binary=False,
        refine=False,
        refine_width=16,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.binary = binary
        n = _time_doublings(steps)
        self.start_steps = steps // 2**n
        self.width = width
        self.dense = layers.Dense(self.start_steps * width, use_bias=False)
        self.bn0 = layers.BatchNormalization()
        self.time = []
        w = width
        for _ in range(n):
            w = max(w // 2, 16)
            if upsample == "resize":
                double = keras.Sequential(
                    [layers.UpSampling2D((2, 1)), layers.Conv2D(w, (3, 1), padding="same", use_bias=False)]
                )
            else:
                double = layers.Conv2DTranspose(w, (4, 1), strides=(2, 1), padding="same", use_bias=False)
            self.time.append((double, layers.BatchNormalization()))
        _expose(self, "time", self.time)
        self.octaves = layers.Conv2DTranspose(max(w // 2, 16), (1, octaves), strides=(1, octaves), use_bias=False)
        self.bn_octaves = layers.BatchNormalization()
        # Pitch stride 12: every octave's 12 semitones come from one kernel (MuseGAN's bar generator).
        self.semitones = layers.Conv2DTranspose(channels, (1, 12), strides=(1, 12))
        self.refiner = None
        if refine:
            # Zero-initialised last layer: the refiner starts as the identity on the logits.
            self.refiner = keras.Sequential(
                [
                    layers.Conv2D(refine_width, (3, 3), padding="same"),
                    layers.LeakyReLU(0.2),
                    layers.Conv2D(channels, (3, 3), padding="same", kernel_initializer="zeros"),
                ]
            )
        self.activation = activation

    def logits(self, v, condition=None, training=False):
        """Bars' pre-activation logits, float32 [M, steps, pitches, channels]."""

        def with_condition(h, key):
            return h if condition is None else ops.concatenate([h, ops.cast(condition[key], h.dtype)], axis=-1)

        h = ops.relu(self.bn0(self.dense(v), training=training))
        h = ops.reshape(h, (-1, self.start_steps, 1, self.width))
        for tconv, bn in self.time:
            h = ops.relu(bn(tconv(with_condition(h, int(h.shape[1]))), training=training))
        h = ops.relu(self.bn_octaves(self.octaves(with_condition(h, int(h.shape[1]))), training=training))
        h = self.semitones(with_condition(h, "octaves"))
        if self.refiner is not None:
            h = h + self.refiner(h)
        return ops.cast(h, "float32")  # the output stays float32 under mixed precision

    def activate(self, h):
        """Logits -> the output range (notes with binary neurons)."""
        y = ops.sigmoid(h) if self.activation == "sigmoid" else ops.tanh(h)
        if not self.binary:
            return y
        # Deterministic binary neurons (Dong & Yang 2018, "Convolutional GANs with Binary Neurons for
        # Polyphonic Music Generation"): D sees notes, not the soft values a hard threshold would later
        # cut into fragments; the backward pass is the activation's (their sigmoid-adjusted straight-through
        # estimator). Keras has no such layer, hence the stop_gradient identity.
        lo, hi = (0.0, 1.0) if self.activation == "sigmoid" else (-1.0, 1.0)
        notes = ops.where(y > (lo + hi) / 2, hi, lo)
        return y + ops.stop_gradient(notes - y)

    def call(self, v, condition=None, training=False):
        return self.activate(self.logits(v, condition, training=training))


class Harmony(keras.layers.Layer):
    """All tracks' notes [N, bars, steps, pitches, tracks] in [0, 1] -> a bias of the generated tracks' logits [N, bars, steps, pitches, generated].

    The bar generators of the jamming and hybrid models make each track on
    its own; the tracks agree only through the shared noise, one latent per
    bar. Here each generated track's logits at a step get a bias per pitch
    class (the same in every octave) computed from the pitch classes every
    track sounds at that step and its neighbours: each track's chroma (the
    sum over octaves of a pitch class's values) over ``bars * steps``, two
    convolutions over 3 steps. The last one starts at zero, so the layer
    starts as the identity on the logits.
    """

    def __init__(self, octaves, generated, width, **kwargs):
        super().__init__(**kwargs)
        self.octaves = octaves
        self.generated = generated
        self.hidden = layers.Conv1D(width, 3, padding="same")
        self.bias = layers.Conv1D(12 * generated, 3, padding="same", kernel_initializer="zeros")

    def call(self, notes):
        _, bars, steps, pitches, tracks = notes.shape
        chroma = ops.sum(ops.reshape(notes, (-1, bars * steps, self.octaves, 12, tracks)), axis=2)
        h = ops.leaky_relu(self.hidden(ops.reshape(chroma, (-1, bars * steps, 12 * tracks))), 0.2)
        bias = ops.reshape(ops.cast(self.bias(h), "float32"), (-1, bars, steps, 1, 12, self.generated))
        bias = ops.tile(bias, (1, 1, 1, self.octaves, 1, 1))
        return ops.reshape(bias, (-1, bars, steps, pitches, self.generated))


class Generator(keras.Model):
    """MuseGAN's multitrack generator: noise dict (+ ``condition``) -> piano-rolls [N, bars, steps, pitches, tracks].

    Inputs: a dict with the `latent_shapes` noise (float32 [N, *shape]) and,
    for a conditional model, ``condition``: the given tracks [N, bars,
    steps, pitches, len(condition_tracks)] in the output range. The output
    holds all tracks, the given ones copied from ``condition``.
    """

    def __init__(self, p: MusicParams, **kwargs):
        super().__init__(**kwargs)
        self.p = p
        self.shapes = latent_shapes(p)
        bars, steps, pitches, _ = p.shape
        octaves = pitches // 12
        generated = len(p.generated_indices)
        self.temporal = {}
        if p.temporal and "z_temporal" in self.shapes:
            self.temporal["shared"] = TemporalGenerator(bars, p.shared_temporal_latent, name="temporal_shared")
        if p.temporal and "z_tracks_temporal" in self.shapes:
            for i in range(generated):
                self.temporal[str(i)] = TemporalGenerator(bars, p.private_temporal_latent, name=f"temporal_{i}")
        kw = dict(
            width=p.g_width,
            activation=p.output_activation,
            upsample=p.upsample,
            binary=p.binary_neurons,
            refine=p.refine,
            refine_width=p.refine_width,
        )
        if p.model == "composer":
            self.bar_generators = [BarGenerator(steps, octaves, generated, name="bar_shared", **kw)]
        else:
            self.bar_generators = [BarGenerator(steps, octaves, 1, name=f"bar_{i}", **kw) for i in range(generated)]
        self.encoder = ConditionEncoder(steps, octaves, name="condition_encoder") if p.condition_tracks else None
        self.harmony = Harmony(octaves, generated, p.harmony_width, name="harmony") if p.harmony_width else None
        _expose(self, "temporal", self.temporal)
        _expose(self, "bar", self.bar_generators)

    def _bar_latents(self, inputs, training):
        """Per-bar latent vectors: (shared [N, bars, ds] or None, [per track [N, bars, dp]] or None)."""
        bars = self.p.bars

        def tile(z):  # time-independent noise: the same in every bar
            return ops.repeat(ops.expand_dims(z, 1), bars, axis=1)

        def over_time(z, key):
            return self.temporal[key](z, training=training) if self.p.temporal else z

        shared = []
        if "z" in inputs:
            shared.append(tile(inputs["z"]))
        if "z_temporal" in inputs:
            shared.append(over_time(inputs["z_temporal"], "shared"))
        private = None
        if "z_tracks" in inputs or "z_tracks_temporal" in inputs:
            private = []
            for i in range(len(self.p.generated_indices)):
                parts = []
                if "z_tracks" in inputs:
                    parts.append(tile(inputs["z_tracks"][:, i]))
                if "z_tracks_temporal" in inputs:
                    parts.append(over_time(inputs["z_tracks_temporal"][:, i], str(i)))
                private.append(ops.concatenate(parts, axis=-1))
        return (ops.concatenate(shared, axis=-1) if shared else None), private

    def call(self, inputs, training=False):
        missing = [name for name in self.shapes if name not in inputs]
        if missing:
            raise ValueError(f"generator inputs lack {missing}")
        bars, steps, pitches, tracks = self.p.shape
        shared, private = self._bar_latents(inputs, training)
        condition = None
        if self.encoder is not None:
            given = ops.cast(inputs["condition"], "float32")
            condition = self.encoder(ops.reshape(given, (-1, steps, pitches, len(self.p.condition_tracks))))

        def fold(v):  # [N, bars, d] -> [N * bars, d]
            return ops.reshape(v, (-1, int(v.shape[-1])))

        if self.p.model == "composer":
            out = self.bar_generators[0].logits(fold(shared), condition, training=training)
            made = ops.reshape(out, (-1, bars, steps, pitches, len(self.p.generated_indices)))
            made = [made[..., i : i + 1] for i in range(len(self.p.generated_indices))]
        else:
            made = []
            for i, bar_generator in enumerate(self.bar_generators):
                v = private[i] if shared is None else ops.concatenate([shared, private[i]], axis=-1)
                out = bar_generator.logits(fold(v), condition, training=training)
                made.append(ops.reshape(out, (-1, bars, steps, pitches, 1)))
        activate = self.bar_generators[0].activate
        by_index = dict(zip(self.p.generated_indices, made, strict=True))
        if self.harmony is not None:
            notes = {i: activate(h) for i, h in by_index.items()}
            for j, i in enumerate(self.p.condition_indices):
                notes[i] = given[..., j : j + 1]
            low, high = self.p.value_range
            heard = (ops.concatenate([notes[i] for i in range(tracks)], axis=-1) - low) / (high - low)  # in [0, 1]
            bias = self.harmony(heard)
            by_index = {i: h + bias[..., j : j + 1] for j, (i, h) in enumerate(by_index.items())}
        by_index = {i: activate(h) for i, h in by_index.items()}
        for j, i in enumerate(self.p.condition_indices):
            by_index[i] = given[..., j : j + 1]  # float32, as the generated tracks
        return ops.concatenate([by_index[i] for i in range(tracks)], axis=-1)


def _conv(filters, kernel, strides=(1, 1)):
    return layers.Conv2D(filters, kernel, strides=strides, padding="valid")


class Discriminator(keras.Model):
    """MuseGAN's critic: piano-rolls [N, bars, steps, pitches, tracks] -> scores [N, 1].

    Every convolution's kernel spans one bar (MuseGAN's 3-D kernels are 1
    along bars until the last layer), so bars are folded into the batch and
    the convolutions are 2-D over [steps, pitches] (about twice as fast on a
    CPU as the same 3-D ones); the last layer, a kernel over all bars, is a
    dense layer over the bars' features.
    """

    def __init__(self, p: MusicParams, **kwargs):
        super().__init__(**kwargs)
        self.p = p
        bars, steps, pitches, tracks = p.shape
        r, o, w = steps // 4, pitches // 12, p.d_width
        self.pitch_time = [(_conv(w, (1, 12), (1, 12)), _conv(2 * w, (r, 1), (r, 1))) for _ in range(tracks)]
        self.time_pitch = [(_conv(w, (r, 1), (r, 1)), _conv(2 * w, (1, 12), (1, 12))) for _ in range(tracks)]
        self.track_merge = [_conv(4 * w, (1, 1)) for _ in range(tracks)]
        # Beats (4 per bar) and octaves (o): reduced to one cell per bar.
        self.shared = [_conv(8 * w, (2, 1), (2, 1)), _conv(8 * w, (2, o))]
        self.chroma = [_conv(2 * w, (1, 12)), _conv(4 * w, (4, 1))]
        self.onset = [_conv(w, (r, 1), (r, 1)), _conv(2 * w, (4, 1))]
        self.merge = layers.Dense(16 * w)
        self.score = layers.Dense(1)
        for name in ("pitch_time", "time_pitch", "track_merge", "shared", "chroma", "onset"):
            _expose(self, name, getattr(self, name))

    def call(self, x, training=False):
        bars, steps, pitches, tracks = self.p.shape
        x = ops.cast(x, self.compute_dtype)
        act = lambda h: ops.leaky_relu(h, 0.2)  # noqa: E731
        folded = ops.reshape(x, (-1, steps, pitches, tracks))  # [N bars, steps, pitches, tracks]
        streams = []
        for t in range(tracks):
            xt = folded[..., t : t + 1]
            a = act(self.pitch_time[t][1](act(self.pitch_time[t][0](xt))))
            b = act(self.time_pitch[t][1](act(self.time_pitch[t][0](xt))))
            streams.append(act(self.track_merge[t](ops.concatenate([a, b], axis=-1))))
        h = ops.concatenate(streams, axis=-1)  # [N bars, 4 beats, octaves, 4w tracks]
        for conv in self.shared:
            h = act(conv(h))  # -> [N bars, 1, 1, 8w]
        # Chroma: each beat's count of each pitch class (index mod 12; the rotation by lowest_pitch
        # does not matter to a full-width kernel).
        chroma = ops.reshape(folded, (-1, 4, steps // 4, pitches // 12, 12, tracks))
        c = act(self.chroma[1](act(self.chroma[0](ops.sum(chroma, axis=(2, 3))))))  # [N bars, 1, 1, 4w]
        # Onsets and offsets: rises and falls of each cell from the previous step (across bar lines),
        # summed over pitch.
        flat = ops.reshape(x, (-1, bars * steps, pitches, tracks))
        previous = ops.pad(flat[:, :-1], ((0, 0), (1, 0), (0, 0), (0, 0)))
        change = ops.concatenate([ops.relu(flat - previous), ops.relu(previous - flat)], axis=-1)
        change = ops.reshape(ops.sum(change, axis=2), (-1, steps, 1, 2 * tracks))
        on = act(self.onset[1](act(self.onset[0](change))))  # [N bars, 1, 1, 2w]
        h = ops.concatenate([h, c, on], axis=-1)
        h = act(self.merge(ops.reshape(h, (-1, bars * int(h.shape[-1])))))  # all bars -> [N, 16w]
        return self.score(ops.cast(h, "float32"))


def use_mixed_precision(model: keras.Model) -> keras.Model:
    """Mixed-precision compute (`tfgan.precision.policy`) in every sublayer but the float32 ends (each bar's last convolution, the critic's score).

    (`tfgan.precision.use_mixed_precision` keeps a sequential model's tail;
    these models have one end per bar generator.) Variables stay float32,
    so checkpoints are the same with and without.
    """
    ends = set()
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, BarGenerator):
            ends.add(id(layer.semitones))
    if isinstance(model, Discriminator):
        ends.add(id(model.score))
    for layer in model._flatten_layers(include_self=False):
        if id(layer) not in ends and not isinstance(
            layer, BarGenerator | TemporalGenerator | ConditionEncoder | Harmony
        ):
            layer.dtype_policy = precision.policy()
    return model


def build_generator(p: MusicParams) -> Generator:
    """A built `Generator` of `p` (its weights exist)."""
    g = Generator(p)
    g(dummy_inputs(p, 1), training=False)
    return g


def build_discriminator(p: MusicParams) -> Discriminator:
    """A built `Discriminator` of `p`."""
    d = Discriminator(p)
    d(ops.zeros((1, *p.shape)))
    return d


def dummy_inputs(p: MusicParams, n: int) -> dict:
    """Zero inputs of the generator for a batch of `n`."""
    inputs = {name: ops.zeros((n, *shape)) for name, shape in latent_shapes(p).items()}
    if p.condition_tracks:
        inputs["condition"] = ops.zeros((n, p.bars, p.steps_per_bar, p.num_pitches, len(p.condition_tracks)))
    return inputs
