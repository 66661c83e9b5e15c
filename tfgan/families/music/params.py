"""`MusicParams`: the music family's parameters (MuseGAN, Dong et al. 2018)."""

from __future__ import annotations

import dataclasses

from pipelines.pianoroll import CHORALE_TRACKS, RollGrid
from tfgan.errors import ConfigError

MODELS = ("jamming", "composer", "hybrid")
OUTPUT_ACTIVATIONS = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}
BINARIZE = ("threshold", "bernoulli")
UPSAMPLES = ("transpose", "resize")
# General MIDI program 53, "Choir Aahs" (pretty_midi numbers programs from 0).
CHOIR = 52


@dataclasses.dataclass(frozen=True)
class MusicParams:
    """What a MuseGAN run learns from and how (Dong et al. 2018, "MuseGAN").

    List fields (track names, programs, ...) take a comma-separated string
    (a flag) or a tuple; they are tuples after construction.

    Piano-rolls are ``[bars, steps_per_bar, num_pitches, tracks]``: bars of
    one phrase, steps of a 4/4 bar, MIDI pitches from `lowest_pitch`, and
    the tracks of `track_names` (see `pipelines.pianoroll`).

    Attributes:
      data: Piano-roll data: chorales (music21's Bach chorales, embedded),
        midi:DIR, npz:FILE or lpd:FILE (MuseGAN's LPD-5 sparse npz).
      cache_dir: Where the parsed chorales are cached; default
        $TFGAN_CACHE or ~/.cache/tfgan.
      bars: Bars per phrase (axis 0 of a piano-roll).
      steps_per_bar: Time steps per 4/4 bar (axis 1): 16 is a 16th-note
        grid; LPD-5 uses 48.
      lowest_pitch: MIDI pitch of pitch index 0 (axis 2).
      num_pitches: Pitches (axis 2); a multiple of 12 (the generator's
        pitch stride is an octave).
      track_names: Track names (axis 3), comma-separated.
      programs: General MIDI program (0-127, pretty_midi's numbering) of
        each track for MIDI output, comma-separated.
      drum_tracks: Tracks that are drums (MIDI channel 10; the DP metric).
      track_match: For midi:DIR, one spec per track choosing its
        instruments: name:TEXT, program:A-B or drums, alternatives joined
        by |; default name:<track name>.
      hop_bars: A training phrase starts every this many bars.
      drop_silent_bars: Drop phrases with a bar where every track is silent.
      out_of_range: Notes outside the pitch range: drop (counted) or error.
      transpose: Augmentation: shift each phrase by up to this many
        semitones either way (within the pitch range); 0 = off.
      model: jamming (a generator per track, private noise), composer (one
        generator for all tracks, shared noise) or hybrid (a generator per
        track, shared and private noise).
      temporal: Time-dependent noise goes through temporal generators
        (one shared, one per track) that make per-bar latents; off: it is
        drawn for every bar independently.
      shared_latent: Size of the shared time-independent noise z.
      shared_temporal_latent: Size of the shared time-dependent noise z_t.
      private_latent: Size of each track's time-independent noise z_i.
      private_temporal_latent: Size of each track's time-dependent noise
        z_i,t.
      g_width: Channels of the bar generators' first layer (halved at each
        time upsampling).
      upsample: How the bar generators double time: transpose (transposed
        convolutions, kernel 4 stride 2, MuseGAN's) or resize (nearest
        neighbour repeat, then a convolution over 3 steps: a held note is
        a repeated value, so this favours sustained notes over one-step
        ripples).
      refine: Each bar generator ends in a refiner: two 3x3 convolutions
        over [steps, pitches] whose output is added to the logits, so a
        note's cell sees its neighbours in time and pitch (the bar
        generator's time layers come before its pitch layers and are
        blind to pitch). Off: MuseGAN's bar generator. On the chorales it
        raised QN and moved TD away from Bach's (docs/music.md).
      refine_width: Channels of the refiner's hidden layer.
      harmony_width: Channels of a layer that adds to each generated
        track's logits a pitch-class bias (the same in every octave) from
        the pitch classes all tracks sound around each step (two
        convolutions over 3 steps of every track's chroma), so tracks made
        by separate bar generators can agree on harmony step by step;
        0 = off (MuseGAN's generator).
      d_width: Channels of the discriminator's first layers.
      condition_tracks: Track-conditional accompaniment: these tracks are
        given (e.g. soprano) and the others generated; an encoder of the
        given tracks feeds every bar generator (MuseGAN v1's conditional
        model). Empty: unconditional.
      d_steps: Critic updates per generator update (WGAN-GP's n_critic).
      gp_weight: lambda of the WGAN-GP gradient penalty; 0 = off.
      learning_rate: Adam's learning rate (both players).
      beta_1: Adam's beta_1.
      beta_2: Adam's beta_2.
      output_activation: sigmoid (rolls in [0, 1], binarised at 0.5) or
        tanh ([-1, 1], binarised at 0).
      binarize: How sampling turns the output into notes: threshold, or
        bernoulli (each cell a note with the output's probability).
      binary_neurons: G's output layer emits notes (0/1) in training too,
        so D judges what the threshold will make; gradients pass as
        through the activation (deterministic binary neurons with the
        sigmoid-adjusted straight-through estimator, Dong & Yang 2018).
        On the chorales it did not raise QN (docs/music.md).
      ema_decay: Keep an exponential moving average of G's weights for
        sampling and export; 0 = off.
      tempo: Tempo of written MIDI, quarter notes per minute.
      velocity: MIDI velocity of every written note.
      num_samples: Fixed-noise samples in TensorBoard and the final samples.
    """

    data: str = "chorales"
    cache_dir: str | None = None
    bars: int = 4
    steps_per_bar: int = 16
    lowest_pitch: int = 36
    num_pitches: int = 48
    track_names: str | tuple[str, ...] = CHORALE_TRACKS
    programs: str | tuple[int, ...] = (CHOIR, CHOIR, CHOIR, CHOIR)
    drum_tracks: str | tuple[str, ...] = ()
    track_match: str | tuple[str, ...] | None = None
    hop_bars: int = 1
    drop_silent_bars: bool = True
    out_of_range: str = "drop"
    transpose: int = 0
    model: str = "hybrid"
    temporal: bool = True
    shared_latent: int = 32
    shared_temporal_latent: int = 32
    private_latent: int = 32
    private_temporal_latent: int = 32
    g_width: int = 256
    upsample: str = "transpose"
    refine: bool = False
    refine_width: int = 16
    harmony_width: int = 0
    d_width: int = 16
    condition_tracks: str | tuple[str, ...] = ()
    d_steps: int = 5
    gp_weight: float = 10.0
    learning_rate: float = 1e-3
    beta_1: float = 0.5
    beta_2: float = 0.9
    output_activation: str = "sigmoid"
    binarize: str = "threshold"
    binary_neurons: bool = False
    ema_decay: float = 0.0
    tempo: float = 100.0
    velocity: int = 100
    num_samples: int = 8

    def __post_init__(self):
        for name in ("track_names", "programs", "drum_tracks", "condition_tracks", "track_match"):
            value = getattr(self, name)
            if isinstance(value, str):  # a flag's comma-separated list
                parts = tuple(v.strip() for v in value.split(",") if v.strip())
                object.__setattr__(self, name, tuple(int(p) for p in parts) if name == "programs" else parts)
            elif isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
        errors = problems(self)
        if errors:
            raise ConfigError("invalid music parameters:\n  " + "\n  ".join(errors))

    @property
    def num_tracks(self) -> int:
        return len(self.track_names)

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """``(bars, steps_per_bar, num_pitches, tracks)`` of one piano-roll."""
        return (self.bars, self.steps_per_bar, self.num_pitches, self.num_tracks)

    @property
    def value_range(self) -> tuple[float, float]:
        """(silence, note) values of the generator's output range."""
        return OUTPUT_ACTIVATIONS[self.output_activation]

    @property
    def condition_indices(self) -> tuple[int, ...]:
        """Track indices of `condition_tracks`."""
        return tuple(self.track_names.index(name) for name in self.condition_tracks)

    @property
    def generated_indices(self) -> tuple[int, ...]:
        """Track indices the generator makes (all but the given ones)."""
        given = set(self.condition_indices)
        return tuple(i for i in range(self.num_tracks) if i not in given)

    @property
    def drum_flags(self) -> tuple[bool, ...]:
        return tuple(name in self.drum_tracks for name in self.track_names)

    def grid(self) -> RollGrid:
        """The `pipelines.pianoroll.RollGrid` of these parameters."""
        return RollGrid(
            bars=self.bars,
            steps_per_bar=self.steps_per_bar,
            lowest_pitch=self.lowest_pitch,
            num_pitches=self.num_pitches,
            track_names=self.track_names,
            track_match=self.track_match,
            hop_bars=self.hop_bars,
            drop_silent_bars=self.drop_silent_bars,
            out_of_range=self.out_of_range,
        )


def problems(p: MusicParams) -> list[str]:
    """Everything wrong with `p`, one message per problem."""
    errors = []
    for name in (
        "bars",
        "steps_per_bar",
        "num_pitches",
        "d_steps",
        "g_width",
        "d_width",
        "refine_width",
        "hop_bars",
        "num_samples",
    ):
        if getattr(p, name) < 1:
            errors.append(f"--{name} must be a positive integer, got {getattr(p, name)}")
    if p.steps_per_bar % 4:
        errors.append(f"--steps_per_bar={p.steps_per_bar} must be a multiple of 4 (4 beats of a 4/4 bar)")
    if p.num_pitches % 12:
        errors.append(f"--num_pitches={p.num_pitches} must be a multiple of 12 (the generator's pitch stride)")
    if not 0 <= p.lowest_pitch or p.lowest_pitch + p.num_pitches > 128:
        errors.append(f"pitches {p.lowest_pitch}..{p.lowest_pitch + p.num_pitches - 1} are not all MIDI pitches 0..127")
    if not p.track_names or len(set(p.track_names)) != len(p.track_names):
        errors.append(f"--track_names must be distinct names, got {','.join(p.track_names)}")
    if len(p.programs) != len(p.track_names):
        errors.append(f"--programs needs one program per track ({len(p.track_names)}), got {len(p.programs)}")
    if any(not 0 <= q <= 127 for q in p.programs):
        errors.append(f"--programs must lie in 0..127, got {','.join(map(str, p.programs))}")
    for name in ("drum_tracks", "condition_tracks"):
        unknown = [t for t in getattr(p, name) if t not in p.track_names]
        if unknown:
            errors.append(f"--{name}: {', '.join(unknown)} not among --track_names ({', '.join(p.track_names)})")
    if p.condition_tracks and len(set(p.condition_tracks)) >= len(p.track_names):
        errors.append("--condition_tracks must leave at least one track to generate")
    if p.model not in MODELS:
        errors.append(f"--model={p.model!r} is unknown; choose one of: {', '.join(MODELS)}")
    if p.output_activation not in OUTPUT_ACTIVATIONS:
        errors.append(f"--output_activation={p.output_activation!r} is unknown; choose sigmoid or tanh")
    if p.binarize not in BINARIZE:
        errors.append(f"--binarize={p.binarize!r} is unknown; choose threshold or bernoulli")
    if p.upsample not in UPSAMPLES:
        errors.append(f"--upsample={p.upsample!r} is unknown; choose transpose or resize")
    if p.out_of_range not in ("drop", "error"):
        errors.append(f"--out_of_range={p.out_of_range!r} is unknown; choose drop or error")
    for name in (
        "shared_latent",
        "shared_temporal_latent",
        "private_latent",
        "private_temporal_latent",
        "transpose",
        "harmony_width",
    ):
        if getattr(p, name) < 0:
            errors.append(f"--{name} must be >= 0, got {getattr(p, name)}")
    shared = p.shared_latent + p.shared_temporal_latent
    private = p.private_latent + p.private_temporal_latent
    if p.model in ("composer", "hybrid") and shared == 0 and (p.model == "composer" or private == 0):
        errors.append(f"--model={p.model} needs noise: set --shared_latent or --shared_temporal_latent")
    if p.model == "jamming" and private == 0:
        errors.append("--model=jamming needs noise: set --private_latent or --private_temporal_latent")
    if p.gp_weight < 0:
        errors.append(f"--gp_weight must be >= 0, got {p.gp_weight}")
    if not 0.0 <= p.ema_decay < 1.0:
        errors.append(f"--ema_decay must be in [0, 1), got {p.ema_decay}")
    if p.learning_rate <= 0:
        errors.append(f"--learning_rate must be positive, got {p.learning_rate}")
    if not (0 <= p.beta_1 < 1 and 0 <= p.beta_2 < 1):
        errors.append(f"--beta_1 and --beta_2 must be in [0, 1), got {p.beta_1}, {p.beta_2}")
    if p.tempo <= 0:
        errors.append(f"--tempo must be positive, got {p.tempo}")
    if not 1 <= p.velocity <= 127:
        errors.append(f"--velocity must be in 1..127, got {p.velocity}")
    if p.track_match is not None and len(p.track_match) != len(p.track_names):
        errors.append(f"--track_match needs one spec per track ({len(p.track_names)}), got {len(p.track_match)}")
    return errors


# Fields a checkpoint's variables depend on: a resume with other values is refused.
SHAPE_FIELDS = (
    "bars",
    "steps_per_bar",
    "num_pitches",
    "track_names",
    "model",
    "temporal",
    "shared_latent",
    "shared_temporal_latent",
    "private_latent",
    "private_temporal_latent",
    "g_width",
    "upsample",
    "refine",
    "refine_width",
    "harmony_width",
    "d_width",
    "condition_tracks",
)
