"""`python -m tfgan.evaluate` for music exports: MuseGAN's metrics of samples beside the real data's.

The samples come from the export alone (its ``sample`` signature, or
``accompany`` given the real phrases' given tracks); the real data is the
export's training data (``metadata["data"]``, or ``data``) cut into
non-overlapping phrases. See `tfgan.families.music.metrics` for the
metrics.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from pipelines import pianoroll
from tfgan.errors import ConfigError
from tfgan.families.music import export, metrics
from tfgan.run import exports


@dataclasses.dataclass(frozen=True)
class EvalOptions:
    """What to measure of a music export.

    Attributes:
      export_dir: An export version directory (or the base holding versions: the latest is used).
      num: Samples to draw.
      seed: First seed; sample i uses seed + i.
      data: Real data to compare with; default the data the export was
        trained on.
      cache_dir: Where the parsed chorales are cached.
      pitch_classes: true (pitch % 12) or released (MuseGAN's released
        code's (12, pitches/12) binning, to compare with the paper).
      min_note_length: QN: a note of at least this many steps qualifies.
      polyphony_threshold: PP: steps sounding more than this many pitches.
      td_per: TD over each beat's chroma (MuseGAN's latest code) or each
        bar's (its v1 code).
      copy_tolerance: A sample within this relative Hamming distance of a
        training phrase counts as a copy.
    """

    export_dir: str
    num: int = 1000
    seed: int = 0
    data: str | None = None
    cache_dir: str | None = None
    pitch_classes: str = "true"
    min_note_length: int = 2
    polyphony_threshold: int = 2
    copy_tolerance: float = 0.05
    td_per: str = "beat"

    def __post_init__(self):
        if self.num < 1:
            raise ConfigError(f"--num must be positive, got {self.num}.")
        if self.pitch_classes not in metrics.PITCH_CLASS_MODES:
            raise ConfigError(f"--pitch_classes={self.pitch_classes!r} is unknown; choose true or released.")
        if self.td_per not in ("beat", "bar"):
            raise ConfigError(f"--td_per={self.td_per!r} is unknown; choose beat or bar.")


def real_phrases(info: dict, data: str | None = None, cache_dir: str | None = None, hop_bars: int | None = None):
    """The export's training data as binary phrases [M, bars, steps, pitches, tracks] (non-overlapping by default)."""
    grid = pianoroll.RollGrid(
        bars=info["bars"],
        steps_per_bar=info["steps_per_bar"],
        lowest_pitch=info["lowest_pitch"],
        num_pitches=info["num_pitches"],
        track_names=tuple(info["track_names"]),
        track_match=tuple(info["track_match"]) if info.get("track_match") else None,
        hop_bars=hop_bars or info["bars"],
    )
    return pianoroll.open_pianoroll_source(data or info["data"], grid, cache_dir=cache_dir).rolls


def measure(rolls, info: dict, options: EvalOptions) -> dict:
    """`metrics.evaluate_rolls` of `rolls` with the export's pitch offset, tracks and the options."""
    drums = [name for name, drum in zip(info["track_names"], info["drums"], strict=True) if drum]
    return metrics.evaluate_rolls(
        rolls,
        lowest_pitch=info["lowest_pitch"],
        track_names=info["track_names"],
        drum_tracks=drums,
        pitch_classes=options.pitch_classes,
        min_note_length=options.min_note_length,
        polyphony_threshold=options.polyphony_threshold,
        td_per=options.td_per,
    )


def evaluate(options: EvalOptions, export_dir: str | None = None) -> dict:
    """Samples the export and measures samples and real data.

    Returns:
      ``{"samples": {metric: value}, "real": {metric: value}, "diversity":
      {...}, "num_samples": N, "num_real": M, "options": {...}}``.
    """
    export_dir = export_dir or exports.latest_version(options.export_dir)
    info = export.load_metadata(export_dir)
    real = real_phrases(info, options.data, options.cache_dir)
    # Training phrases for the copy check: every window (a 1-bar hop), not only the non-overlapping ones.
    training = real_phrases(info, options.data, options.cache_dir, hop_bars=1)
    seeds = np.arange(options.seed, options.seed + options.num)
    condition = None
    if info["condition_tracks"]:
        index = [info["track_names"].index(t) for t in info["condition_tracks"]]
        condition = real[np.arange(options.num) % len(real)][..., index].astype(np.uint8)
    samples = export.sample_pianorolls(export_dir, seeds, condition)
    return {
        "export_dir": export_dir,
        "num_samples": int(options.num),
        "num_real": int(len(real)),
        "samples": measure(samples, info, options),
        "real": measure(real, info, options),
        "diversity": metrics.diversity(samples, training, options.copy_tolerance),
        "options": dataclasses.asdict(options),
    }


def format_results(results: dict) -> str:
    """A table: each metric of the samples beside the real data's, with their ratio."""
    lines = [
        f"{results['num_samples']} samples of {results['export_dir']} vs {results['num_real']} real phrases "
        f"(pitch classes: {results['options']['pitch_classes']})",
        f"{'metric':<24}{'samples':>10}{'real':>10}{'ratio':>8}",
    ]
    for name, value in results["samples"].items():
        real = results["real"].get(name, math.nan)
        ratio = value / real if real and not math.isnan(real) and not math.isnan(value) else math.nan
        lines.append(f"{name:<24}{value:>10.3f}{real:>10.3f}{ratio:>8.2f}")
    d = results["diversity"]
    lines.append(
        f"distinct samples {d['distinct']:.1%}; copies of a training phrase {d['copies']:.1%} "
        f"(exact {d['exact_copies']:.1%}); mean distance to the nearest {d['nn_distance']:.3f}"
    )
    return "\n".join(lines)
