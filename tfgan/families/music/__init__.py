"""The music family: MuseGAN (Dong et al. 2018) on multitrack piano-rolls, with MIDI and audio out.

`model.MuseGAN.train_step` is WGAN-GP with k critic updates; `params.MusicParams`
its parameters; `networks` the temporal and bar generators and the
three-stream critic; `presets` the chorales (CPU) and LPD-5 (paper)
settings; `export` the ``sample``/``serving_default``/``accompany``
signatures; `midi` and `audio` the MIDI files and sound; `metrics` and
`evaluation` MuseGAN's objective metrics beside the real data's.
"""

from tfgan.families.music import evaluation, presets, sampling, trainer
from tfgan.families.music.params import SHAPE_FIELDS, MusicParams
from tfgan.run.family import Family

FAMILY = Family(
    name="music",
    params=MusicParams,
    presets=presets.PRESETS,
    shape_fields=SHAPE_FIELDS,
    setup=trainer.setup,
    export_checkpoint=trainer.export_checkpoint,
    export_name=trainer.EXPORT_NAME,
    sample_options=sampling.SampleOptions,
    sample=sampling.sample,
    eval_options=evaluation.EvalOptions,
    evaluate=evaluation.evaluate,
    format_results=evaluation.format_results,
)
