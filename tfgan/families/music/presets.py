"""The music family's presets: preset name -> `RunConfig` and `MusicParams` field values."""

from __future__ import annotations

from pipelines.pianoroll import LPD_LOWEST_PITCH, LPD_TRACKS

PRESETS = {
    # Bach chorales (music21's corpus, embedded): 4 bars of 16ths, S/A/T/B in pitches 36..83, sized to
    # train on a 2-core CPU within half an hour (hybrid model, narrower networks than the paper's).
    "chorales": {
        "data": "chorales",
        "model": "hybrid",
        "bars": 4,
        "steps_per_bar": 16,
        "lowest_pitch": 36,
        "num_pitches": 48,
        "hop_bars": 1,
        "transpose": 2,
        "shared_latent": 32,
        "shared_temporal_latent": 32,
        "private_latent": 32,
        "private_temporal_latent": 32,
        "g_width": 128,
        # Resize + convolution doubles time with held notes as repeated values: at step 1600 (30 min on the
        # 2-core CPU) qualified notes reach 74-82% per track against MuseGAN's transposed convolutions' 69-75%
        # (docs/music.md).
        "upsample": "resize",
        # A refiner over each bar's steps and pitches lifts qualified notes, and the harmony layer over all
        # tracks' chroma brings the tonal distances of the pairs with the bass within 15% of Bach's (22-24%
        # high with the refiner alone): at step 1,300 (30 min, 1.15-1.3 s a step) QN is 0.84-0.92 of Bach's
        # share, UPC and TD within 15% (two seeds, docs/music.md).
        "refine": True,
        "refine_width": 8,
        "harmony_width": 64,
        "d_width": 16,
        "batch_size": 64,
        # XLA halves the step on CPUs (1.07 s against 1.81 s, docs/music.md).
        "jit_compile": True,
        "steps": 4000,
        "checkpoint_every": 500,
        "log_every": 10,
        "sample_every": 500,
    },
    # Dong et al. 2018's setting on LPD-5 (cleansed, 4 bars x 48 steps x 84 pitches x 5 tracks) for GPU users
    # with their own copy of the training file: --data=lpd:/path/to/train_x_lpd_5_phr.npz.
    "musegan_lpd5": {
        "data": "lpd:train_x_lpd_5_phr.npz",
        "model": "hybrid",
        "bars": 4,
        "steps_per_bar": 48,
        "lowest_pitch": LPD_LOWEST_PITCH,
        "num_pitches": 84,
        "track_names": LPD_TRACKS,
        "programs": (0, 0, 25, 33, 48),
        "drum_tracks": ("drums",),
        "shared_latent": 32,
        "shared_temporal_latent": 32,
        "private_latent": 32,
        "private_temporal_latent": 32,
        "g_width": 256,
        "d_width": 32,
        "tempo": 100.0,
        "batch_size": 64,
        "steps": 50000,
        "checkpoint_every": 1000,
        "log_every": 50,
        "sample_every": 1000,
    },
}
