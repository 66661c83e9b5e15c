"""CycleGAN train steps/s, export throughput and peak memory, each beside a plain Keras reference.

    python benchmarks/translation_step.py                          # every setting, ~10 min on 2 cores
    python benchmarks/translation_step.py --settings=digits2mnist --repeats=3 --no_memory   # quick look

Settings (``--settings``, comma-separated):

- ``digits2mnist``, ``horse2zebra_mnist``, ``face2emoji``: the small presets
  of `tfgan.families.translation.presets` at their own image size, channels,
  batch and widths, with everything else the preset sets (the 50-image
  pools; digits2mnist's EMA of the generators; face2emoji's DiffAugment).
- ``cyclegan``: the paper's networks (9 residual blocks, ngf = ndf = 64, the
  70x70 PatchGAN) at 256x256x3, batch 1 (``--big_steps`` per block: it is
  slow on a CPU).
- ``export``: the translator SavedModel of freshly initialised ``cyclegan``
  networks, loaded with ``tf.saved_model.load``: images/s of ``a_to_b`` on
  uint8 256x256x3 batches (``--export_batch``), beside the same Keras
  generator called directly (one ``tf.function``: uint8 -> [-1, 1] -> G ->
  uint8) on the same batches.

What each training setting compares, in this one process, on the same
synthetic in-memory batches (uniform in [-1, 1]; no data loading in the
timing), both trained with ``fit``:

- tfgan: `tfgan.families.translation.build.build_model` with the preset's
  parameters and `tfgan.run.config.RunConfig`'s defaults (what ``python -m
  tfgan.train --preset=...`` runs).
- keras-io: the Keras example's ``CycleGan.train_step``
  (keras.io/examples/generative/cyclegan/) written out below: one persistent
  tape, LSGAN losses by ``MeanSquaredError``, cycle L1 x 10, identity L1 x 5,
  one Adam(2e-4, beta_1 0.5) per network, no image pool, compiled with
  Keras' defaults; applied to copies of tfgan's four networks (the same
  weights copied in).

The two steps do comparable but not identical work, and the script prints
both steps' floating-point operations by TensorFlow's cost model
(`benchmarks.train_step.graph_flops`) to show how much. Beyond the
reference, tfgan's step has (a) the image pools (a gather/scatter per
discriminator), (b) D's second forward and backward pass over the (pooled)
fakes in D's update, where the reference reuses the pass of its G update,
(c) each generator's gradient through the other generator's cycle term:
the reference's ``tape.gradient(total_loss_G, gen_G)`` leaves out that
``||F(G(x)) - x||`` (in F's loss) depends on G, the paper's code does not,
(d) the NaN/inf guards and gradient norms, and the presets' EMA /
DiffAugment where they are on. With ``pool_size=0`` both compute the same
four losses and the same D update (`tests/translation/test_benchmark.py`).

Reported: steps/s (and image pairs/s) as the median of ``--repeats``
interleaved blocks after a warm-up, the ratio tfgan / keras-io as the median
of the per-block ratios (same block, same load), GFLOP per step, and the
peak RSS of each variant measured on its own in a child process (``--child``;
its own peak RSS (VmHWM) after a warm-up and ``--memory_steps`` more steps; the
RSS after importing TensorFlow alone is printed for reference). A machine
line (CPU model, ISA, cores, TF version) and the load average before and
after come first and last; a markdown table at the end.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

# Runnable as a script from anywhere: this checkout first on the path.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import ops  # noqa: E402

import pipelines  # noqa: E402
from benchmarks.train_step import cpu_model, graph_flops, median_ratio  # noqa: E402
from tfgan import convolution  # noqa: E402
from tfgan.families.translation import build, export  # noqa: E402
from tfgan.families.translation.params import TranslationParams  # noqa: E402
from tfgan.families.translation.presets import PRESETS  # noqa: E402
from tfgan.run.config import RunConfig  # noqa: E402

TRAIN_SETTINGS = ("digits2mnist", "horse2zebra_mnist", "face2emoji", "cyclegan")
SETTINGS = (*TRAIN_SETTINGS, "export")
VARIANTS = ("tfgan", "keras-io")
EXPORT_VARIANTS = ("SavedModel a_to_b", "Keras generator")


# --- The keras-io CycleGAN example (keras.io/examples/generative/cyclegan/, by A_K_Nain), its model and
# losses as the example writes them, applied to tfgan's networks. ------------------------------------------

adv_loss_fn = keras.losses.MeanSquaredError()


def generator_loss_fn(fake):
    fake_loss = adv_loss_fn(ops.ones_like(fake), fake)
    return fake_loss


def discriminator_loss_fn(real, fake):
    real_loss = adv_loss_fn(ops.ones_like(real), real)
    fake_loss = adv_loss_fn(ops.zeros_like(fake), fake)
    return (real_loss + fake_loss) * 0.5


class CycleGan(keras.Model):
    def __init__(
        self, generator_G, generator_F, discriminator_X, discriminator_Y, lambda_cycle=10.0, lambda_identity=0.5
    ):
        super().__init__()
        self.gen_G = generator_G
        self.gen_F = generator_F
        self.disc_X = discriminator_X
        self.disc_Y = discriminator_Y
        self.lambda_cycle = lambda_cycle
        self.lambda_identity = lambda_identity

    def call(self, inputs):
        return (self.disc_X(inputs), self.disc_Y(inputs), self.gen_G(inputs), self.gen_F(inputs))

    def compile(self, gen_G_optimizer, gen_F_optimizer, disc_X_optimizer, disc_Y_optimizer, gen_loss_fn, disc_loss_fn):
        super().compile()
        self.gen_G_optimizer = gen_G_optimizer
        self.gen_F_optimizer = gen_F_optimizer
        self.disc_X_optimizer = disc_X_optimizer
        self.disc_Y_optimizer = disc_Y_optimizer
        self.generator_loss_fn = gen_loss_fn
        self.discriminator_loss_fn = disc_loss_fn
        self.cycle_loss_fn = keras.losses.MeanAbsoluteError()
        self.identity_loss_fn = keras.losses.MeanAbsoluteError()

    def train_step(self, batch_data):
        # x is Horse and y is zebra
        real_x, real_y = batch_data
        with tf.GradientTape(persistent=True) as tape:
            # Horse to fake zebra
            fake_y = self.gen_G(real_x, training=True)
            # Zebra to fake horse -> y2x
            fake_x = self.gen_F(real_y, training=True)
            # Cycle (Horse to fake zebra to fake horse): x -> y -> x
            cycled_x = self.gen_F(fake_y, training=True)
            # Cycle (Zebra to fake horse to fake zebra) y -> x -> y
            cycled_y = self.gen_G(fake_x, training=True)
            # Identity mapping
            same_x = self.gen_F(real_x, training=True)
            same_y = self.gen_G(real_y, training=True)
            # Discriminator output
            disc_real_x = self.disc_X(real_x, training=True)
            disc_fake_x = self.disc_X(fake_x, training=True)
            disc_real_y = self.disc_Y(real_y, training=True)
            disc_fake_y = self.disc_Y(fake_y, training=True)
            # Generator adversarial loss
            gen_G_loss = self.generator_loss_fn(disc_fake_y)
            gen_F_loss = self.generator_loss_fn(disc_fake_x)
            # Generator cycle loss
            cycle_loss_G = self.cycle_loss_fn(real_y, cycled_y) * self.lambda_cycle
            cycle_loss_F = self.cycle_loss_fn(real_x, cycled_x) * self.lambda_cycle
            # Generator identity loss
            id_loss_G = self.identity_loss_fn(real_y, same_y) * self.lambda_cycle * self.lambda_identity
            id_loss_F = self.identity_loss_fn(real_x, same_x) * self.lambda_cycle * self.lambda_identity
            # Total generator loss
            total_loss_G = gen_G_loss + cycle_loss_G + id_loss_G
            total_loss_F = gen_F_loss + cycle_loss_F + id_loss_F
            # Discriminator loss
            disc_X_loss = self.discriminator_loss_fn(disc_real_x, disc_fake_x)
            disc_Y_loss = self.discriminator_loss_fn(disc_real_y, disc_fake_y)
        # Get the gradients for the generators
        grads_G = tape.gradient(total_loss_G, self.gen_G.trainable_variables)
        grads_F = tape.gradient(total_loss_F, self.gen_F.trainable_variables)
        # Get the gradients for the discriminators
        disc_X_grads = tape.gradient(disc_X_loss, self.disc_X.trainable_variables)
        disc_Y_grads = tape.gradient(disc_Y_loss, self.disc_Y.trainable_variables)
        # Update the weights of the generators
        self.gen_G_optimizer.apply_gradients(zip(grads_G, self.gen_G.trainable_variables, strict=True))
        self.gen_F_optimizer.apply_gradients(zip(grads_F, self.gen_F.trainable_variables, strict=True))
        # Update the weights of the discriminators
        self.disc_X_optimizer.apply_gradients(zip(disc_X_grads, self.disc_X.trainable_variables, strict=True))
        self.disc_Y_optimizer.apply_gradients(zip(disc_Y_grads, self.disc_Y.trainable_variables, strict=True))
        return {"G_loss": total_loss_G, "F_loss": total_loss_F, "D_X_loss": disc_X_loss, "D_Y_loss": disc_Y_loss}


def keras_io_model(g_ab, g_ba, d_a, d_b, *, lambda_cycle=10.0, lambda_identity=0.5, learning_rate=2e-4, beta_1=0.5):
    """The keras-io model of four networks (G = A -> B, F = B -> A, D_X = D_a, D_Y = D_b), compiled as the example."""
    model = CycleGan(g_ab, g_ba, d_a, d_b, lambda_cycle=lambda_cycle, lambda_identity=lambda_identity)
    model.compile(
        *(keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1) for _ in range(4)),
        gen_loss_fn=generator_loss_fn,
        disc_loss_fn=discriminator_loss_fn,
    )
    return model


def copy_networks(params: TranslationParams, nets) -> list:
    """New networks of `params` holding the weights of `nets` (g_ab, g_ba, d_a, d_b)."""
    copies = build.build_networks(params)
    for copy, net in zip(copies.values(), nets, strict=True):
        copy.set_weights(net.get_weights())
    return list(copies.values())


# --- Settings ------------------------------------------------------------------------------------------------


def preset_params(name: str) -> tuple[TranslationParams, int]:
    """The resolved `TranslationParams` of preset `name` (no data opened) and its batch size."""
    preset = PRESETS[name]
    fields = {f.name for f in dataclasses.fields(TranslationParams)}
    params = TranslationParams(**{k: v for k, v in preset.items() if k in fields})
    size = params.image_size
    from tfgan.families.translation.params import default_resnet_blocks

    # The paper's label-free step: the keras-io reference has no class labels to compare a class-conditional
    # D's step with (digits2mnist's labelled D differs only by the label planes of D's first convolution).
    params = dataclasses.replace(
        params,
        jitter=False,
        resnet_blocks=params.resnet_blocks or default_resnet_blocks(size),
        class_conditional=False,
    )
    return params, int(preset["batch_size"])


def synthetic(params: TranslationParams, batch: int, n: int = 4, seed: int = 0) -> np.ndarray:
    """n synthetic steps of (a, b) batches: float32 [n, 2, batch, S, S, C] in [-1, 1]."""
    s, c = params.image_size, params.channels
    return np.random.default_rng(seed).uniform(-1, 1, (n, 2, batch, s, s, c)).astype(np.float32)


def stream(pairs: np.ndarray, as_dict: bool) -> tf.data.Dataset:
    ds = tf.data.Dataset.from_tensor_slices((pairs[:, 0], pairs[:, 1]))
    if as_dict:
        ds = ds.map(lambda a, b: {"a": a, "b": b})
    return ds.repeat().prefetch(2).with_options(pipelines.stream_options())


def tfgan_model(params: TranslationParams, batch: int, seed: int = 0):
    """What ``python -m tfgan.train`` builds for `params` (RunConfig's jit/steps_per_execution defaults)."""
    run = RunConfig(model_dir="unused", batch_size=batch, steps=1)
    return build.build_model(
        params,
        total_steps=10**6,
        steps_per_epoch=1000,
        seed=seed,
        jit_compile=run.jit_compile,
        steps_per_execution=run.steps_per_execution,
    )


class Runner:
    """Times ``model.fit`` over an in-memory stream: `run(steps)` trains that many steps."""

    def __init__(self, model, dataset, batch):
        self.model, self.dataset, self.batch = model, dataset, batch

    def run(self, steps):
        self.model.fit(self.dataset, epochs=1, steps_per_epoch=steps, verbose=0)


def train_runners(name: str, variants=VARIANTS, seed: int = 0) -> dict:
    """{variant: Runner} of setting `name`: tfgan's model and the keras-io one from the same initial weights."""
    params, batch = preset_params(name)
    pairs = synthetic(params, batch)
    keras.utils.set_random_seed(seed)
    model = tfgan_model(params, batch, seed)
    runners = {}
    if "tfgan" in variants:
        runners["tfgan"] = Runner(model, stream(pairs, as_dict=True), batch)
    if "keras-io" in variants:
        nets = copy_networks(params, (model.g_ab, model.g_ba, model.d_a, model.d_b))
        reference = keras_io_model(
            *nets,
            lambda_cycle=params.lambda_cycle,
            lambda_identity=params.lambda_identity,
            learning_rate=params.learning_rate,
            beta_1=params.beta_1,
        )
        runners["keras-io"] = Runner(reference, stream(pairs, as_dict=False), batch)
    return runners


def step_flops(runner: Runner, params: TranslationParams) -> float:
    """Float ops of one train step of `runner`'s model (TF's cost model, un-jitted graph, static shapes)."""
    image = tf.TensorSpec([runner.batch, params.image_size, params.image_size, params.channels], tf.float32)
    spec = {"a": image, "b": image} if runner.model.__class__ is not CycleGan else (image, image)
    return graph_flops(tf.function(runner.model.train_step, jit_compile=False).get_concrete_function(spec))


# --- The export ---------------------------------------------------------------------------------------------


def cyclegan_networks(seed: int = 0):
    """Freshly initialised networks of the ``cyclegan`` preset: (params, {g_ab, g_ba, d_a, d_b})."""
    params, _ = preset_params("cyclegan")
    keras.utils.set_random_seed(seed)
    return params, build.build_networks(params)


def export_setup(directory: str, seed: int = 0):
    """Writes the translator of fresh ``cyclegan`` networks to `directory`; returns (params, g_ab)."""
    params, nets = cyclegan_networks(seed)
    translator = export.keras_translator(
        nets["g_ab"],
        nets["g_ba"],
        image_size=params.image_size,
        channels=params.channels,
        multiple=build.network_multiple(params),
        min_size=build.network_min_size(params),
        serve_size=params.serve_size,
    )
    export.write_translator(directory, translator, facts={})
    return params, nets["g_ab"]


class SavedModelRunner:
    def __init__(self, directory, images):
        self.loaded = tf.saved_model.load(directory)  # kept: its variables live as long as it does
        self.fn = self.loaded.a_to_b
        self.images, self.batch = tf.constant(images), images.shape[0]

    def run(self, batches):
        for _ in range(batches):
            self.fn(self.images)["images"].numpy()


class KerasGeneratorRunner:
    """The same generator called directly: uint8 -> [-1, 1] -> G(training=False) -> uint8, one tf.function."""

    def __init__(self, generator, images):
        @tf.function
        def translate(images):
            x = tf.cast(images, tf.float32) / 127.5 - 1.0
            y = generator(x, training=False)
            return tf.cast(tf.clip_by_value(tf.round((y + 1.0) * 127.5), 0.0, 255.0), tf.uint8)

        self.fn, self.images, self.batch = translate, tf.constant(images), images.shape[0]

    def run(self, batches):
        for _ in range(batches):
            self.fn(self.images).numpy()


def export_images(batch: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (batch, 256, 256, 3), dtype=np.uint8)


# --- Measurement ----------------------------------------------------------------------------------------------


def compare(runners: dict, steps: int, repeats: int, warmup: int) -> dict:
    """{name: [seconds per step of each block]}: `repeats` blocks of `steps`, the runners interleaved."""
    for r in runners.values():
        r.run(warmup)
    times = {name: [] for name in runners}
    for _ in range(repeats):
        for name, r in runners.items():
            start = time.perf_counter()
            r.run(steps)
            times[name].append((time.perf_counter() - start) / steps)
    return times


def rss_mib() -> float:
    """This process's peak resident memory: VmHWM where /proc has it, else ``ru_maxrss``.

    ``ru_maxrss`` survives ``execve``, so in a child started by a large parent
    it reports at least the parent's size at the fork; VmHWM is the new
    program's own.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args) -> None:
    """One variant of one setting on its own: warm-up, `--memory_steps` steps; its peak RSS (and FLOPs) as JSON."""
    name, variant = args.child.split(":", 1)
    start = rss_mib()
    flops = None
    if name == "export":
        images = export_images(args.export_batch)
        if variant == EXPORT_VARIANTS[0]:
            runner = SavedModelRunner(args.export_dir, images)
        else:
            runner = KerasGeneratorRunner(cyclegan_networks()[1]["g_ab"], images)
    else:
        runner = train_runners(name, variants=(variant,))[variant]
    runner.run(args.warmup)
    runner.run(args.memory_steps)
    peak = rss_mib()  # before the cost model's extra trace
    if name != "export" and not args.no_flops:
        flops = step_flops(runner, preset_params(name)[0])
    print("CHILD " + json.dumps({"start_mib": start, "peak_mib": peak, "flops": flops}))


def child_rss(setting: str, variant: str, args, export_dir: str | None) -> dict:
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        f"--child={setting}:{variant}",
        "--warmup=1",
        f"--memory_steps={args.memory_steps}",
        f"--export_batch={args.export_batch}",
    ]
    if args.no_flops:
        cmd.append("--no_flops")
    if export_dir:
        cmd.append(f"--export_dir={export_dir}")
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    lines = [line for line in result.stdout.splitlines() if line.startswith("CHILD ")]
    if result.returncode or not lines:
        raise RuntimeError(f"{setting}:{variant} child failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return json.loads(lines[-1][len("CHILD ") :])


def parse_settings(parser, text):
    names = [s for s in text.split(",") if s]
    unknown = [s for s in names if s not in SETTINGS]
    if unknown or not names:
        parser.error(f"--settings: unknown {', '.join(unknown) or '(none given)'}; choose from {', '.join(SETTINGS)}")
    return names


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--settings", default=",".join(SETTINGS), help=f"comma-separated of {', '.join(SETTINGS)}")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved timed blocks per variant")
    parser.add_argument("--steps", type=int, default=5, help="train steps per block (small presets)")
    parser.add_argument("--big_steps", type=int, default=1, help="train steps per block (cyclegan, 256 px)")
    parser.add_argument("--big_repeats", type=int, default=3, help="blocks per variant (cyclegan, 256 px)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first (cyclegan, export, children: 1)")
    parser.add_argument("--export_batch", type=int, default=4, help="images per a_to_b call")
    parser.add_argument("--export_batches", type=int, default=1, help="a_to_b calls per block")
    parser.add_argument(
        "--no_memory", action="store_true", help="skip the child processes (peak RSS; FLOPs are then counted here)"
    )
    parser.add_argument(
        "--memory_steps", type=int, default=1, help="steps (export: batches) a child runs after warm-up"
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="child processes at a time (after the timing: RSS and FLOPs are load-free)"
    )
    parser.add_argument("--no_flops", action="store_true", help="skip the cost-model FLOP counts")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--export_dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    settings = parse_settings(parser, args.settings)
    isa = convolution.isa()
    print(f"machine: {cpu_model()}, ISA {isa}, {os.cpu_count()} cores; TF {tf.__version__}, Keras {keras.__version__}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    run = RunConfig(model_dir="unused", steps=1)
    print(
        f"tfgan: build_model + fit, jit_compile={run.jit_compile} steps_per_execution={run.steps_per_execution} "
        f"(RunConfig defaults); keras-io: compile() defaults; repeats={args.repeats} steps/block={args.steps} "
        f"(cyclegan: {args.big_repeats} x {args.big_steps}); warm-up {args.warmup} (cyclegan, export: 1)"
    )
    rows, memory = [], {}
    tmp = tempfile.mkdtemp(prefix="tfgan_transl_bench_")
    export_dir = None

    for name in [s for s in settings if s in TRAIN_SETTINGS]:
        params, batch = preset_params(name)
        runners = train_runners(name)
        big = name == "cyclegan"
        steps, repeats = (args.big_steps, args.big_repeats) if big else (args.steps, args.repeats)
        times = compare(runners, steps, repeats, 1 if big else args.warmup)
        rate = {v: [1 / t for t in times[v]] for v in times}
        ratio = median_ratio(rate["tfgan"], rate["keras-io"])
        inline = args.no_memory and not args.no_flops  # else the child processes count them
        flops = {v: step_flops(runners[v], params) if inline else None for v in runners}
        jit = ", ".join(f"{v} {runners[v].model.jit_compile}" for v in runners)
        shape = f"{params.image_size}x{params.image_size}x{params.channels}"
        extras = [f"pool {params.pool_size}"]
        if params.ema_decay:
            extras.append(f"EMA {params.ema_decay}")
        if params.diffaugment:
            extras.append(f"DiffAugment {params.diffaugment}")
        print(
            f"\n[{isa}] [{name}] {shape}, batch {batch}, ngf {params.generator_filters} x {params.resnet_blocks} "
            f"blocks, ndf {params.discriminator_filters} x {params.discriminator_layers} layers; tfgan: "
            f"{', '.join(extras)}; jit_compile as resolved: {jit}; steps/s (median of {repeats} blocks of {steps}):"
        )
        for v in runners:
            f = flops[v]
            extra = f", {f / 1e9:.2f} GFLOP/step -> {f * statistics.median(rate[v]) / 1e9:.1f} GFLOP/s" if f else ""
            print(
                f"  {v:9s} {statistics.median(rate[v]):8.3f} steps/s, {statistics.median(rate[v]) * batch:8.2f} "
                f"pairs/s{extra}   blocks: {', '.join(f'{r:.3f}' for r in rate[v])}"
            )
        line = f"  [{isa}] ratio tfgan / keras-io: {ratio:.2f}x (median of per-block ratios)"
        if flops["tfgan"]:
            line += f"; tfgan does {flops['tfgan'] / flops['keras-io']:.2f}x the reference's FLOPs per step"
        print(line, flush=True)
        rows.append(
            dict(
                setting=name,
                shape=shape,
                batch=batch,
                unit="steps/s",
                ours=statistics.median(rate["tfgan"]),
                base=statistics.median(rate["keras-io"]),
                ratio=ratio,
                flops=flops,
            )
        )
        del runners
        keras.backend.clear_session()

    if "export" in settings:
        export_dir = os.path.join(tmp, "translator")
        _, generator = export_setup(export_dir)
        images = export_images(args.export_batch)
        runners = {
            EXPORT_VARIANTS[0]: SavedModelRunner(export_dir, images),
            EXPORT_VARIANTS[1]: KerasGeneratorRunner(generator, images),
        }
        times = compare(runners, args.export_batches, args.repeats, 1)
        rate = {v: [args.export_batch / t for t in times[v]] for v in times}
        ratio = median_ratio(rate[EXPORT_VARIANTS[0]], rate[EXPORT_VARIANTS[1]])
        print(
            f"\n[{isa}] [export] cyclegan networks (fresh), a_to_b on uint8 256x256x3, batch {args.export_batch}; "
            f"images/s (median of {args.repeats} blocks of {args.export_batches} calls):"
        )
        for v in runners:
            blocks = ", ".join(f"{r:.2f}" for r in rate[v])
            print(f"  {v:18s} {statistics.median(rate[v]):8.2f} images/s   blocks: {blocks}")
        print(f"  [{isa}] ratio SavedModel / Keras generator: {ratio:.2f}x (median of per-block ratios)", flush=True)
        rows.append(
            dict(
                setting="export",
                shape="256x256x3 uint8",
                batch=args.export_batch,
                unit="images/s",
                ours=statistics.median(rate[EXPORT_VARIANTS[0]]),
                base=statistics.median(rate[EXPORT_VARIANTS[1]]),
                ratio=ratio,
                flops={},
            )
        )
        del runners

    if not args.no_memory:
        jobs = [(name, v) for name in settings for v in (EXPORT_VARIANTS if name == "export" else VARIANTS)]
        print(
            f"\neach variant alone in a child process ({args.jobs} at a time), after 1 warm-up and "
            f"{args.memory_steps} more steps (export: batches): peak RSS; train steps' GFLOP (TF cost model):"
        )
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
            results = pool.map(lambda job: child_rss(*job, args, export_dir), jobs)
            memory = dict(zip(jobs, results, strict=True))
        for row in rows:
            if row["setting"] != "export":
                row["flops"] = {v: memory[(row["setting"], v)]["flops"] for v in VARIANTS}
        for (name, v), m in memory.items():
            extra = f", {m['flops'] / 1e9:.2f} GFLOP/step" if m.get("flops") else ""
            print(f"  {name:18s} {v:18s} {m['peak_mib']:7.0f} MiB (after importing TF: {m['start_mib']:.0f}){extra}")
        for row in rows:
            f = row["flops"]
            if f and f.get("tfgan"):
                print(
                    f"  [{row['setting']}] tfgan does {f['tfgan'] / f['keras-io']:.2f}x the reference's FLOPs per step"
                )

    print("\n| setting | input | batch | tfgan | reference | ratio | GFLOP/step tfgan / ref | peak RSS tfgan / ref |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        name = row["setting"]
        variants = EXPORT_VARIANTS if name == "export" else VARIANTS
        f = row["flops"]
        gflop = f"{f['tfgan'] / 1e9:.2f} / {f['keras-io'] / 1e9:.2f}" if f and f.get("tfgan") else "-"
        rss = "-"
        if (name, variants[0]) in memory:
            rss = " / ".join(f"{memory[(name, v)]['peak_mib']:.0f} MiB" for v in variants)
        ref = "Keras generator" if name == "export" else "keras-io"
        print(
            f"| {name} | {row['shape']} | {row['batch']} | {row['ours']:.3f} {row['unit']} | "
            f"{row['base']:.3f} ({ref}) | {row['ratio']:.2f}x | {gflop} | {rss} |"
        )
    print(f"\npeak RSS of this process: {rss_mib():.0f} MiB")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
