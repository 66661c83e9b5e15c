"""The pSp encoder family (Richardson et al. 2021, "Encoding in Style: a StyleGAN Encoder for Image-to-Image Translation").

An encoder from images into a frozen StyleGAN2 generator's W+
(`networks`: a feature-pyramid ResNet with one map2style block per W+ row),
trained on pSp's L2 and W-norm losses (`losses`, `model.PSP.train_step`);
`params.PSPParams` its parameters, `presets` two CPU settings and the
paper's, `export` the ``encode``/``serving_default`` SavedModel,
`evaluation` reconstruction error and classifier agreement, `toonify` the
translator of an encoder and another generator.
"""

from tfgan.families.psp import evaluation, presets, trainer
from tfgan.families.psp.params import EXPORT_FIELDS, MEANING_FIELDS, SHAPE_FIELDS, PSPParams
from tfgan.run.family import Family

FAMILY = Family(
    name="psp",
    params=PSPParams,
    presets=presets.PRESETS,
    shape_fields=SHAPE_FIELDS,
    meaning_fields=MEANING_FIELDS,
    export_fields=EXPORT_FIELDS,
    setup=trainer.setup,
    export_checkpoint=trainer.export_checkpoint,
    export_name=trainer.EXPORT_NAME,
    eval_options=evaluation.EvalOptions,
    evaluate=evaluation.evaluate,
    format_results=evaluation.format_results,
)
