"""`python -m tfgan.train`: train a GAN, resume it, export its generator.

Flags left unset take the preset's value (`--preset`, see the README);
every flag explicitly given overrides it. Running the same command again
resumes from the run's latest checkpoint.
"""

from __future__ import annotations

import dataclasses

from absl import flags

from tfgan import cli
from tfgan import config as config_lib
from tfgan.errors import ConfigError

FLAGS = flags.FLAGS

flags.DEFINE_string("preset", "default", f"Preset that fills unset flags: {', '.join(config_lib.PRESETS)}.")
flags.DEFINE_string("dataset", None, "digits | tfds:<name>[/config] | folder:<path> | npz:<path>.")
flags.DEFINE_string("data_dir", None, "TFDS data directory (e.g. ../shared/datasets/tfds).")
flags.DEFINE_string("split", None, "Split to train on: train | test | a TFDS split such as train[:50000].")
flags.DEFINE_integer("image_size", None, "Square image side; default: the dataset's own.")
flags.DEFINE_integer("channels", None, "1 (grey) or 3 (RGB); default: the dataset's own.")
flags.DEFINE_string("model", None, "Networks: mlp (the paper's) | dcgan (the TF tutorial's) | resnet (SNGAN's).")
flags.DEFINE_string("loss", None, "minimax (the paper's eq. 1) | non_saturating | wasserstein | hinge | least_squares.")
flags.DEFINE_integer("d_steps", None, "k of Algorithm 1: discriminator steps per generator step.")
flags.DEFINE_integer("batch_size", None, "Images per minibatch.")
flags.DEFINE_integer("steps", None, "Total train steps (generator updates).")
flags.DEFINE_integer("epochs", None, "Total passes over the data (each step uses k minibatches).")
flags.DEFINE_integer("latent_dim", None, "Size of the noise vector z.")
flags.DEFINE_string("optimizer", None, "adam | paper_sgd (momentum 0.5->0.7, lr decayed by 1/1.000004).")
flags.DEFINE_float("lr", None, "Learning rate of both players.")
flags.DEFINE_float("d_lr", None, "Discriminator's learning rate; default: --lr.")
flags.DEFINE_float("beta_1", None, "Adam's beta_1.")
flags.DEFINE_integer("momentum_ramp_epochs", None, "paper_sgd: epochs over which momentum rises to 0.7.")
flags.DEFINE_integer("seed", None, "Seed of weights, noise and data order.")
flags.DEFINE_string("model_dir", None, "Run directory: config.json, checkpoints/, logs/, samples.png, export/.")
flags.DEFINE_integer("checkpoint_every", None, "Checkpoint every N steps (and at the end).")
flags.DEFINE_integer("keep_checkpoints", None, "Checkpoints kept on disk.")
flags.DEFINE_integer("log_every", None, "TensorBoard scalars every N steps.")
flags.DEFINE_integer("sample_every", None, "TensorBoard sample grid every N steps; 0 = every epoch.")
flags.DEFINE_bool("export", None, "Export the generator as a SavedModel at the end.")
flags.DEFINE_bool("jit_compile", None, "Compile the train step with XLA.")
flags.DEFINE_enum("on_nan", None, ["stop", "skip"], "On a NaN/inf loss or gradient: stop, or skip that update.")
flags.DEFINE_integer("max_nan_skips", None, "--on_nan=skip: stop after this many skipped updates.")
flags.DEFINE_integer("eval_every", None, "Log a Parzen estimate (eval/parzen_ll) every N steps; 0 = off.")
flags.DEFINE_bool("deterministic", None, "Deterministic ops: a resumed run ends with the same weights.")
flags.DEFINE_integer("steps_per_execution", None, "Train steps per call of the compiled function.")
flags.DEFINE_bool("mixed_precision", None, "mixed_float16 with loss scaling for both players (GPU).")
flags.DEFINE_string("strategy", None, "default | mirrored (this machine's GPUs) | multi_worker (TF_CONFIG) | tpu.")
flags.DEFINE_string("tpu", None, "--strategy=tpu: TPU name or grpc:// address; default: this TPU VM's.")
flags.DEFINE_bool("sync_batchnorm", None, "BatchNorm statistics over the global batch, not each replica's.")
flags.DEFINE_bool("conditional", None, "Class-conditional G and D (labels from the dataset).")
flags.DEFINE_integer("num_classes", None, "Classes of --conditional; default: the dataset's own.")
flags.DEFINE_float("beta_2", None, "Adam's beta_2.")
flags.DEFINE_float("gp_weight", None, "WGAN-GP gradient penalty weight lambda (Gulrajani et al. 2017); 0 = off.")
flags.DEFINE_float("r1_gamma", None, "R1 penalty gamma (Mescheder et al. 2018); 0 = off.")
flags.DEFINE_integer("r1_interval", None, "Lazy R1: apply every N D steps with gamma scaled by N.")
flags.DEFINE_bool("spectral_norm", None, "Spectral normalisation of D's Dense/Conv layers (Miyato et al. 2018).")
flags.DEFINE_string("diffaugment", None, "DiffAugment transforms for D's inputs: color,translation,cutout; '' = off.")
flags.DEFINE_float("ema_decay", None, "EMA of G's weights for samples/eval/export (e.g. 0.999); 0 = off.")
flags.DEFINE_integer(
    "max_image_pixels", None, "folder: datasets: the largest width x height decoded; default 8192 x 8192."
)


def config_from_flags() -> config_lib.TrainConfig:
    """The frozen config the flags describe (preset + explicit flags)."""
    names = [f.name for f in dataclasses.fields(config_lib.TrainConfig) if f.name != "preset"]
    overrides = {name: FLAGS[name].value for name in names if FLAGS[name].value is not None}
    return config_lib.resolve(FLAGS.preset, **overrides)


def main(argv):
    if len(argv) > 1:
        raise ConfigError(f"unexpected arguments {argv[1:]}; flags take the form --name=value.")
    from tfgan import training

    result = training.train(config_from_flags())
    print(f"trained {result.config.model_dir} to step {result.step}")
    if result.logs:
        from tfgan.callbacks import equilibrium_report
        from tfgan.losses import PROBABILISTIC_FAMILIES

        if result.config.loss in PROBABILISTIC_FAMILIES:
            print(equilibrium_report(result.logs))
        else:  # a critic's scores have no equilibrium value
            logs = result.logs
            print(f"critic: mean D(x)={logs['critic_real']:.3f} mean D(G(z))={logs['critic_fake']:.3f}")
    if result.samples_png:  # None on a non-chief worker, which writes no files
        print(f"samples: {result.samples_png}")
    if result.export_dir:
        print(f"export:  {result.export_dir}")


def run():
    """Console-script entry point (`tfgan-train`)."""
    cli.start(main)


if __name__ == "__main__":
    run()
