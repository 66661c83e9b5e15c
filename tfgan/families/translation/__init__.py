"""The image-to-image translation family: CycleGAN (unpaired) and pix2pix (paired).

A two-way filter between two image domains, trained from any two image
sources (`pipelines.domains`) and served as one SavedModel
(`tfgan.families.translation.export`, ``export/translator/<version>/``).
"""

from tfgan.families.translation import evaluation, presets, trainer
from tfgan.families.translation.params import TranslationParams
from tfgan.run.family import Family

FAMILY = Family(
    name="translation",
    params=TranslationParams,
    presets=presets.PRESETS,
    shape_fields=trainer.SHAPE_FIELDS,
    setup=trainer.setup,
    export_checkpoint=trainer.export_checkpoint,
    export_name=trainer.EXPORT_NAME,
    eval_options=evaluation.EvalOptions,
    evaluate=evaluation.evaluate,
    format_results=evaluation.format_results,
)
