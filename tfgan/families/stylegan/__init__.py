"""The StyleGAN2 family (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN").

`model.StyleGAN2.train_step` is the paper's training loop (non-saturating
loss, lazy R1, style mixing, optional path-length regularisation, EMA of
G); `params.StyleGANParams` its parameters; `synthesis` the skip generator
and its W+ layout; `discriminator` the residual D (with FreezeD);
`networks` their layers; `presets` a CPU MNIST setting and the paper's
config F; `export` the ``sample``/``serving_default``/``synthesize``/
``mapping`` signatures; `trainer` the run's set-up and ``--init_from``;
`evaluation` the domain-classifier metrics of an export; `loading` a
generator read back from a run or an export (blend, pSp and toonify use it).
"""

from tfgan.families.stylegan import evaluation, presets, sampling, trainer
from tfgan.families.stylegan.params import EXPORT_FIELDS, MEANING_FIELDS, SHAPE_FIELDS, StyleGANParams
from tfgan.run.family import Family

FAMILY = Family(
    name="stylegan",
    params=StyleGANParams,
    presets=presets.PRESETS,
    shape_fields=SHAPE_FIELDS,
    meaning_fields=MEANING_FIELDS,
    export_fields=EXPORT_FIELDS,
    setup=trainer.setup,
    export_checkpoint=trainer.export_checkpoint,
    export_name=trainer.EXPORT_NAME,
    sample_options=sampling.SampleOptions,
    sample=sampling.sample,
    eval_options=evaluation.EvalOptions,
    evaluate=evaluation.evaluate,
    format_results=evaluation.format_results,
)
