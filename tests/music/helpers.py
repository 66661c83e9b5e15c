"""The tiny music setting the music tests share: 2 bars of 8 steps, 12 pitches, 2 tracks, narrow networks."""

from tfgan.families.music.params import MusicParams

TINY_FIELDS = dict(
    bars=2,
    steps_per_bar=8,
    lowest_pitch=48,
    num_pitches=12,
    track_names=("a", "b"),
    programs=(0, 33),
    shared_latent=4,
    shared_temporal_latent=4,
    private_latent=4,
    private_temporal_latent=4,
    g_width=16,
    d_width=2,
    d_steps=2,
)


def tiny(**overrides) -> MusicParams:
    """`MusicParams` of the tiny setting, with `overrides`."""
    return MusicParams(**{**TINY_FIELDS, **overrides})
