"""Pictures and sounds of piano-rolls for TensorBoard and the run folder.

A piano-roll picture has time left to right (one pixel column per step,
bar lines in grey) and pitch bottom to top (one pixel row per pitch), each
track in its own colour (cells where tracks overlap mix their colours);
samples are stacked top to bottom, separated by a white line.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfgan.families.music import audio, midi
from tfgan.families.music.params import MusicParams

# Colour-blind-friendly track colours (Okabe & Ito 2008), cycled for more tracks.
TRACK_COLOURS = np.array(
    [(230, 159, 0), (86, 180, 233), (0, 158, 115), (204, 121, 167), (240, 228, 66), (0, 114, 178), (213, 94, 0)],
    np.float32,
)
_BAR_LINE = np.array([90, 90, 90], np.float32)
_BACKGROUND = np.array([20, 20, 20], np.float32)


def pianoroll_image(rolls: np.ndarray, scale: int = 4) -> np.ndarray:
    """uint8 [H, W, 3] picture of rolls [N, bars, steps, pitches, tracks] (see the module docstring)."""
    rolls = np.asarray(rolls).astype(bool)
    n, bars, steps, pitches, tracks = rolls.shape
    colours = TRACK_COLOURS[np.arange(tracks) % len(TRACK_COLOURS)]  # [tracks, 3]
    flat = rolls.reshape(n, bars * steps, pitches, tracks).astype(np.float32)
    count = flat.sum(axis=-1, keepdims=True)
    mixed = flat @ colours / np.maximum(count, 1.0)  # [n, time, pitches, 3]
    picture = np.where(count > 0, mixed, _BACKGROUND)
    picture[:, ::steps] = np.where(count[:, ::steps] > 0, picture[:, ::steps], _BAR_LINE)  # bar lines
    picture = np.transpose(picture, (0, 2, 1, 3))[:, ::-1]  # [n, pitches (high first), time, 3]
    picture = np.repeat(np.repeat(picture, scale, axis=1), scale, axis=2)
    separator = np.full((n, 1, picture.shape[2], 3), 255.0, np.float32)
    stacked = np.concatenate([picture, separator], axis=1).reshape(-1, picture.shape[2], 3)[:-1]
    return stacked.astype(np.uint8)


def write_pianoroll_summaries(step: int, rolls: np.ndarray, params: MusicParams, sample_rate: int = 16000) -> None:
    """Writes the rolls' picture (``samples``) and sound (``audio``) into the default summary writer."""
    tf.summary.image("samples", pianoroll_image(rolls)[None], step=step)
    seconds = params.bars * 4 * 60.0 / params.tempo + 0.5
    clips = [
        audio.synthesize(
            midi.to_midi(
                roll,
                steps_per_bar=params.steps_per_bar,
                lowest_pitch=params.lowest_pitch,
                programs=params.programs,
                track_names=params.track_names,
                drums=params.drum_flags,
                tempo=params.tempo,
                velocity=params.velocity,
            ),
            sample_rate,
            seconds,
        )
        for roll in rolls
    ]
    tf.summary.audio("audio", np.stack(clips)[..., None], sample_rate, step=step, max_outputs=len(clips))
