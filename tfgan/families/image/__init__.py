"""The image GAN family: Goodfellow et al. 2014's game and its successors (DCGAN, WGAN-GP, SNGAN, cGAN).

`model.GAN.train_step` is Algorithm 1 of the paper; `params.ImageParams`
its parameters; `presets` the paper's MNIST setting and its successors';
`export` the generator's TF Serving signatures; `evaluation` the paper's
Parzen table and the classifier metrics.
"""

from tfgan.families.image import evaluation, presets, sampling, trainer
from tfgan.families.image.params import SHAPE_FIELDS, ImageParams
from tfgan.run.family import Family

FAMILY = Family(
    name="image",
    params=ImageParams,
    presets=presets.PRESETS,
    shape_fields=SHAPE_FIELDS,
    setup=trainer.setup,
    export_checkpoint=trainer.export_checkpoint,
    export_name=trainer.EXPORT_NAME,
    sample_options=sampling.SampleOptions,
    sample=sampling.sample,
    eval_options=evaluation.EvalConfig,
    evaluate=evaluation.evaluate,
    format_results=evaluation.format_table,
)
