"""Train-step and input-pipeline throughput of tfgan against the plain loops it replaces.

    python benchmarks/train_step.py                 # dcgan + mlp vs their plain loops, pipelines
    python benchmarks/train_step.py --levers        # + one row per speed lever (README table)

Every figure is printed with the machine's ISA (``[AVX2]``, ``[AVX-512]``,
``[AMX]``, ``+BF16`` where the CPU has AVX-512 BF16): the convolution levers
win on one CPU kind and lose on another (docs/performance_2014.md). For
dcgan the main comparison also times ``--update=simultaneous`` (the
tutorial's update rule, same results as its loop), and on CPUs with AVX-512
BF16 or AMX a ``mixed_bfloat16`` row (``--no_bf16`` skips it).

What it measures, all in this one process so that the ratios share the
machine's load (the figures themselves move with other jobs; the ratios much
less):

- Train step: real images consumed per second (``k * batch_size`` per step)
  after warm-up, the median of ``--repeats`` timed blocks of ``--steps`` steps
  each. The variants run interleaved block by block. Real images come from a
  small pool of synthetic minibatches held in memory, so the input pipeline
  does not enter the figure (it is measured on its own below).
  * tfgan: `tfgan.training.build` with the config defaults (the path
    ``python -m tfgan.train`` takes), trained with ``GAN.fit``.
  * tutorial: the TensorFlow DCGAN tutorial's loop, written out below: its
    two networks, ``BinaryCrossentropy(from_logits=True)``, two
    ``GradientTape``s in one ``tf.function``, Adam(1e-4) each. It does less
    work per step than Algorithm 1 (one G(z) shared by both players, which
    update simultaneously); tfgan draws fresh noise for G's step and lets G
    see the D that was just updated, as the paper's Algorithm 1 says.
  * mlp: tfgan's ``mlp`` networks against an equally plain loop (two tapes
    in one ``tf.function``, Adam(1e-4) for both in both).
- GFLOP/s: floating-point operations of one train step by TensorFlow's
  registered op costs (those ``tf.compat.v1.profiler`` reports), summed over
  the ops the un-jitted step graph actually runs (see `graph_flops`),
  divided by the measured step time; also for the plain loop; and as a
  fraction of the dense float32 matmul peak (chained 1024^2 and 2048^2
  ``tf.matmul``s, best of 5) measured in this run.
- Peak RSS of this process (``ru_maxrss``).
- Pipelines: images/s of `pipelines.make_train_dataset` for ``tfds:mnist``
  (``--data_dir``; generated digits-like arrays when it is absent) and for a
  ``folder:`` of PNGs written to a temporary directory, after the first pass
  (both sources are cached in memory from then on).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

# Runnable as a script from anywhere: this checkout first on the path.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import pipelines  # noqa: E402
from tfgan import config as config_lib  # noqa: E402
from tfgan import convolution, training  # noqa: E402
from tfgan.families.image import networks  # noqa: E402

LATENT = 100
SHAPE = (28, 28, 1)


# --- The TensorFlow DCGAN tutorial (tensorflow.org/tutorials/generative/dcgan), verbatim but for Keras 3's
# keras.Input in place of input_shape=. -------------------------------------------------------------------


def make_generator_model():
    model = keras.Sequential()
    model.add(keras.Input((100,)))
    model.add(keras.layers.Dense(7 * 7 * 256, use_bias=False))
    model.add(keras.layers.BatchNormalization())
    model.add(keras.layers.LeakyReLU())
    model.add(keras.layers.Reshape((7, 7, 256)))
    model.add(keras.layers.Conv2DTranspose(128, (5, 5), strides=(1, 1), padding="same", use_bias=False))
    model.add(keras.layers.BatchNormalization())
    model.add(keras.layers.LeakyReLU())
    model.add(keras.layers.Conv2DTranspose(64, (5, 5), strides=(2, 2), padding="same", use_bias=False))
    model.add(keras.layers.BatchNormalization())
    model.add(keras.layers.LeakyReLU())
    model.add(
        keras.layers.Conv2DTranspose(1, (5, 5), strides=(2, 2), padding="same", use_bias=False, activation="tanh")
    )
    return model


def make_discriminator_model():
    model = keras.Sequential()
    model.add(keras.Input((28, 28, 1)))
    model.add(keras.layers.Conv2D(64, (5, 5), strides=(2, 2), padding="same"))
    model.add(keras.layers.LeakyReLU())
    model.add(keras.layers.Dropout(0.3))
    model.add(keras.layers.Conv2D(128, (5, 5), strides=(2, 2), padding="same"))
    model.add(keras.layers.LeakyReLU())
    model.add(keras.layers.Dropout(0.3))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(1))
    return model


def plain_loop(generator, discriminator, batch_size):
    """The tutorial's `train_step`: two tapes in one tf.function, Adam(1e-4) each."""
    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
    generator_optimizer = keras.optimizers.Adam(1e-4)
    discriminator_optimizer = keras.optimizers.Adam(1e-4)

    def discriminator_loss(real_output, fake_output):
        real_loss = cross_entropy(tf.ones_like(real_output), real_output)
        fake_loss = cross_entropy(tf.zeros_like(fake_output), fake_output)
        return real_loss + fake_loss

    def generator_loss(fake_output):
        return cross_entropy(tf.ones_like(fake_output), fake_output)

    @tf.function
    def train_step(images):
        noise = tf.random.normal([batch_size, LATENT])
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            generated_images = generator(noise, training=True)
            real_output = discriminator(images, training=True)
            fake_output = discriminator(generated_images, training=True)
            gen_loss = generator_loss(fake_output)
            disc_loss = discriminator_loss(real_output, fake_output)
        gradients_of_generator = gen_tape.gradient(gen_loss, generator.trainable_variables)
        gradients_of_discriminator = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
        generator_optimizer.apply_gradients(zip(gradients_of_generator, generator.trainable_variables, strict=True))
        discriminator_optimizer.apply_gradients(
            zip(gradients_of_discriminator, discriminator.trainable_variables, strict=True)
        )

    return train_step


# --- Measurement helpers ----------------------------------------------------------------------------------


def image_pool(n, k, batch_size, low, high, seed=0):
    """n synthetic elements of k real minibatches each, in the networks' value range."""
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=(n, k, batch_size, *SHAPE)).astype(np.float32)


class PlainRunner:
    """Times the plain loop over an in-memory pool of minibatches."""

    def __init__(self, generator, discriminator, pool):
        self.step = plain_loop(generator, discriminator, pool.shape[2])
        self.batches = [tf.constant(pool[i, 0]) for i in range(pool.shape[0])]
        self.images_per_step = pool.shape[2]
        self.i = 0

    def run(self, steps):
        for _ in range(steps):
            self.step(self.batches[self.i % len(self.batches)])
            self.i += 1


class TfganRunner:
    """Times `GAN.fit` (as `tfgan.training.train` drives it) over an in-memory pool."""

    def __init__(self, config, pool, model_dir, fuse=None, keras_layers=()):
        n, k, b = pool.shape[:3]
        # Only shapes matter to the setup: an npz of zeros stands in for the data.
        os.makedirs(model_dir, exist_ok=True)
        path = os.path.join(model_dir, "synthetic.npz")
        np.savez(path, x=np.zeros((b, *SHAPE), np.uint8))
        config = config.replace(dataset=f"npz:{path}")
        self.gan = training.build(config)[1].model
        if fuse is not None:
            self.gan.fuse_discriminator = fuse
        # Before the first trace: these tfgan.convolution layers run as Keras' own.
        for net in (self.gan.generator, self.gan.discriminator):
            for layer in net._flatten_layers():
                if isinstance(layer, keras_layers):
                    layer._fast = lambda *shape: False
        labels = np.zeros((n, k, b), np.int32)
        # The training stream's options (no tf.data autotuning thread): with
        # them, each timed fit() call returns as soon as its last step ends.
        ds = tf.data.Dataset.from_tensor_slices({"image": pool, "label": labels}).repeat().prefetch(2)
        self.ds = ds.with_options(pipelines.stream_options())
        self.images_per_step = k * b
        self.spe = config.steps_per_execution

    def run(self, steps):
        steps = max(self.spe, steps - steps % self.spe)
        self.gan.fit(self.ds, epochs=1, steps_per_epoch=steps, verbose=0)
        return steps


def timed(runner, steps):
    t = time.perf_counter()
    done = runner.run(steps) or steps
    return done * runner.images_per_step / (time.perf_counter() - t)


def compare(runners, steps, repeats, warmup):
    """Images/s of each runner: median over `repeats` interleaved blocks; also per-block ratios to the first."""
    for r in runners.values():
        r.run(warmup)
    rates = {name: [] for name in runners}
    for _ in range(repeats):
        for name, r in runners.items():
            rates[name].append(timed(r, steps))
    return rates


def median_ratio(a, b):
    """Median of the per-block ratios a/b (same block, same load)."""
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def graph_flops(concrete_function):
    """Float ops of one call of a traced function, by TensorFlow's cost model.

    Sums the ``flops`` statistic TensorFlow registers per op type (the one
    ``tf.compat.v1.profiler`` reports: 2 x MACs for convolutions, their
    input and filter backprops and matmuls, one per element for element-wise
    ops) over the ops that run: those the function's outputs and its
    variable updates depend on. A traced tape leaves gradient ops nobody
    reads (e.g. the filter backprop of D's convolutions in G's step), which
    TensorFlow prunes before running, so they are not counted.
    """
    from tensorflow.python.framework import ops as ops_lib
    from tensorflow.python.profiler.internal import flops_registry  # noqa: F401  (registers the costs)

    graph = concrete_function.graph
    todo = [t.op for t in concrete_function.outputs] + list(graph.control_outputs)
    live = set()
    while todo:
        op = todo.pop()
        if op in live:
            continue
        live.add(op)
        todo.extend(t.op for t in op.inputs)
        todo.extend(op.control_inputs)
    total = 0
    for op in live:
        try:
            stats = ops_lib.get_stats_for_node_def(graph, op.node_def, "flops")
        except ValueError:  # op types without a registered cost
            continue
        total += stats.value or 0
    return total


def step_flops(gan, pool):
    """Float ops of one tfgan train step (un-jitted graph, static shapes)."""
    spec = {
        "image": tf.TensorSpec(pool.shape[1:], tf.float32),
        "label": tf.TensorSpec(pool.shape[1:3], tf.int32),
    }
    return graph_flops(tf.function(gan.train_step, jit_compile=False).get_concrete_function(spec))


def plain_flops(runner, pool):
    """Float ops of one plain-loop step."""
    return graph_flops(runner.step.get_concrete_function(tf.TensorSpec(pool.shape[2:], tf.float32)))


def matmul_peak(sizes=(1024, 2048), reps=8, tries=5):
    """Dense float32 matmul GFLOP/s, best over sizes and `tries` (the machine's practical peak)."""
    best = 0.0
    for n in sizes:
        a = tf.random.normal([n, n])
        b = tf.random.normal([n, n], stddev=n**-0.5)  # keeps the chain's values O(1)

        @tf.function
        def chain(a, b):
            for _ in range(reps):
                a = tf.matmul(a, b)
            return a

        chain(a, b).numpy()
        for _ in range(tries):
            t = time.perf_counter()
            chain(a, b).numpy()
            best = max(best, 2 * n**3 * reps / (time.perf_counter() - t) / 1e9)
    return best


def pipeline_rate(source, batch_size, value_range, batches=60, warm=None):
    """Images/s of make_train_dataset, after one full pass (which fills the cache)."""
    ds = pipelines.make_train_dataset(source, batch_size, seed=0, value_range=value_range)
    it = iter(ds)
    warm = warm or pipelines.steps_per_epoch(source.info, batch_size, 1) + 2
    for _ in range(warm):
        next(it)
    t = time.perf_counter()
    for _ in range(batches):
        next(it)["image"].numpy()
    return batches * batch_size / (time.perf_counter() - t)


def write_pngs(root, n, seed=0):
    rng = np.random.default_rng(seed)
    for i in range(n):
        img = (rng.random((28, 28, 1)) * 255).astype(np.uint8)
        tf.io.write_file(os.path.join(root, f"{i:05d}.png"), tf.io.encode_png(img))


def load_average():
    return os.getloadavg()


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def config_for(model, batch_size, model_dir, **overrides):
    """The config `tfgan.train` would use: defaults plus the benchmark's model, batch and Adam(1e-4)."""
    return config_lib.resolve(
        "default",
        dataset="synthetic",
        model=model,
        image_size=SHAPE[0],
        channels=SHAPE[2],
        batch_size=batch_size,
        steps=1,
        lr=1e-4,
        beta_1=0.9,
        optimizer="adam",
        d_steps=1,
        loss="non_saturating",
        model_dir=model_dir,
        **overrides,
    )


ISA = convolution.isa()
# The static rows pin the convolution forms (conv_levers=static); "measured" is the run default.
PLAIN = dict(jit_compile=False, steps_per_execution=1, conv_levers="static")
KERAS_CONVS = (convolution.Conv2DTranspose, convolution.Conv2D)
LEVERS = {
    # name: (config overrides, fuse D's passes (None: GAN's default), tfgan.convolution layers run as Keras' own)
    "plain (Keras convs, two D passes, no XLA, spe=1)": (PLAIN, False, KERAS_CONVS),
    "+ G's convT as forward convs": (PLAIN, False, (convolution.Conv2D,)),
    "+ D's input grads as forward convs (static)": (PLAIN, None, ()),
    "convs measured on this machine (default)": (dict(PLAIN, conv_levers="measure"), None, ()),
    "+ fused D pass": (PLAIN, True, ()),
    "+ steps_per_execution=4": (dict(PLAIN, steps_per_execution=4), None, ()),
    "+ XLA (jit_compile)": (dict(PLAIN, jit_compile=True), None, ()),
    "default + --update=simultaneous": (dict(conv_levers="measure", update="simultaneous"), None, ()),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch_size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5, help="Timed blocks per variant (median reported).")
    parser.add_argument("--steps", type=int, default=8, help="Train steps per timed block.")
    parser.add_argument("--warmup", type=int, default=4, help="Untimed steps first (tracing, compilation).")
    parser.add_argument("--data_dir", default="/work/shared/datasets/tfds", help="TFDS dir holding mnist.")
    parser.add_argument("--models", default="dcgan,mlp", help="Comma-separated: dcgan, mlp.")
    parser.add_argument("--levers", action="store_true", help="Also time each speed lever (dcgan).")
    parser.add_argument("--lever_model", default="dcgan", choices=("dcgan", "mlp"))
    parser.add_argument(
        "--lever_rows", default="", help="Comma-separated substrings: time only the lever rows whose names hold one."
    )
    parser.add_argument("--no_pipeline", action="store_true", help="Skip the input pipeline benchmark.")
    parser.add_argument("--mixed_precision", action="store_true", help="tfgan with the mixed_float16 policy.")
    parser.add_argument("--jit_compile", type=int, default=None, help="Override the config default (0/1).")
    parser.add_argument("--steps_per_execution", type=int, default=None)
    parser.add_argument("--no_bf16", action="store_true", help="Skip the mixed_bfloat16 row on BF16/AMX CPUs.")
    parser.add_argument("--inter_op", type=int, default=0, help="TF inter-op threads (0: TF's default).")
    parser.add_argument("--intra_op", type=int, default=0, help="TF intra-op threads (0: TF's default).")
    args = parser.parse_args()
    unknown = [m for m in args.models.split(",") if m and m not in ("dcgan", "mlp")]
    if unknown:
        parser.error(f"--models: unknown {', '.join(unknown)}; choose from dcgan, mlp (comma-separated, or '')")
    rows = [part for part in args.lever_rows.split(",") if part]
    if rows and not any(part in name for part in rows for name in LEVERS):
        parser.error(f"--lever_rows={args.lever_rows!r} matches no lever row; the rows are: {'; '.join(LEVERS)}")
    tf.config.threading.set_inter_op_parallelism_threads(args.inter_op)
    tf.config.threading.set_intra_op_parallelism_threads(args.intra_op)

    keras.utils.set_random_seed(0)
    tmp = tempfile.mkdtemp(prefix="tfgan_bench_")
    print(f"machine: {cpu_model()}, ISA {ISA}, {os.cpu_count()} cores; TF {tf.__version__}, Keras {keras.__version__}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in load_average())}")
    overrides = {}
    if args.jit_compile is not None:
        overrides["jit_compile"] = bool(args.jit_compile)
    if args.steps_per_execution is not None:
        overrides["steps_per_execution"] = args.steps_per_execution
    if args.mixed_precision:
        overrides["mixed_precision"] = True
    defaults = config_for("dcgan", args.batch_size, os.path.join(tmp, "x"), **overrides)
    print(
        f"tfgan config: jit_compile={defaults.jit_compile} steps_per_execution={defaults.steps_per_execution} "
        f"batch={args.batch_size} k=1 loss=non_saturating Adam(1e-4); steps/block={args.steps} "
        f"repeats={args.repeats} threads inter={args.inter_op} intra={args.intra_op} (0: default)"
    )
    peak = matmul_peak()
    print(f"[{ISA}] dense f32 matmul peak (1024^2 and 2048^2 chains, best of 5): {peak:.1f} GFLOP/s")
    results = {}

    for model in [m for m in args.models.split(",") if m]:
        pool = image_pool(4, 1, args.batch_size, -1.0 if model == "dcgan" else 0.0, 1.0)
        config = config_for(model, args.batch_size, os.path.join(tmp, model), **overrides)
        ours = TfganRunner(config, pool, config.model_dir)
        if model == "dcgan":
            g, d = make_generator_model(), make_discriminator_model()
            assert g.count_params() == ours.gan.generator.count_params()
            assert d.count_params() == ours.gan.discriminator.count_params()
            base_name = "TF tutorial loop"
        else:
            nets = networks.build("mlp", LATENT, SHAPE)
            g, d = nets.generator, nets.discriminator
            base_name = "plain two-tape loop"
        base = PlainRunner(g, d, pool)
        runners = {"tfgan": ours, "base": base}
        if model == "dcgan":
            sim = config_for(model, args.batch_size, os.path.join(tmp, "sim"), update="simultaneous", **overrides)
            runners["tfgan --update=simultaneous"] = TfganRunner(sim, pool, sim.model_dir)
            if ("BF16" in ISA or "AMX" in ISA) and not args.no_bf16:
                bf = config_for(
                    model,
                    args.batch_size,
                    os.path.join(tmp, "bf16"),
                    update="simultaneous",
                    mixed_precision=True,
                    mixed_dtype="bfloat16",
                    **overrides,
                )
                runners["tfgan simultaneous bf16"] = TfganRunner(bf, pool, bf.model_dir)
        rates = compare(runners, args.steps, args.repeats, args.warmup)
        ours_med, base_med = statistics.median(rates["tfgan"]), statistics.median(rates["base"])
        ratio = median_ratio(rates["tfgan"], rates["base"])
        flops = step_flops(ours.gan, pool)
        base_flops = plain_flops(base, pool)
        gflops = flops * ours_med / ours.images_per_step / 1e9
        base_gflops = base_flops * base_med / base.images_per_step / 1e9
        results[model] = ours_med
        print(f"\n[{ISA}] [{model}] batch {args.batch_size}, 28x28x1, images/s (median of {args.repeats}):")
        print(f"  tfgan            {ours_med:9.1f}   blocks: {', '.join(f'{r:.0f}' for r in rates['tfgan'])}")
        print(f"  {base_name:16s} {base_med:9.1f}   blocks: {', '.join(f'{r:.0f}' for r in rates['base'])}")
        print(f"  [{ISA}] ratio tfgan / {base_name}: {ratio:.2f}x (median of per-block ratios)")
        for name in [n for n in rates if n not in ("tfgan", "base")]:
            print(
                f"  [{ISA}] {name}: {statistics.median(rates[name]):.1f} images/s, "
                f"{median_ratio(rates[name], rates['base']):.2f}x {base_name}"
            )
        print(
            f"  [{ISA}] tfgan step: {flops / 1e9:.2f} GFLOP (TF cost model) -> {gflops:.1f} GFLOP/s = "
            f"{gflops / peak:.0%} of the measured matmul peak"
        )
        print(
            f"  {base_name} step: {base_flops / 1e9:.2f} GFLOP -> {base_gflops:.1f} GFLOP/s = "
            f"{base_gflops / peak:.0%} of peak; tfgan does {flops / base_flops:.2f}x its work per real image, "
            f"at {median_ratio(rates['tfgan'], rates['base']) * flops / base_flops:.2f}x its FLOP rate"
        )

    if args.levers:
        model = args.lever_model
        pool = image_pool(4, 1, args.batch_size, -1.0 if model == "dcgan" else 0.0, 1.0)
        runners = {}
        for name, (ov, fuse, keras_layers) in LEVERS.items():
            if rows and not any(part in name for part in rows):
                continue
            cfg = config_for(model, args.batch_size, os.path.join(tmp, f"lever{len(runners)}"), **ov)
            runners[name] = TfganRunner(cfg, pool, cfg.model_dir, fuse=fuse, keras_layers=keras_layers)
        if model == "dcgan":
            runners["TF tutorial loop"] = PlainRunner(make_generator_model(), make_discriminator_model(), pool)
        rates = compare(runners, args.steps, args.repeats, args.warmup)
        first = next(iter(rates))
        print(f"\n[{ISA}] [levers, {model}] images/s, median of {args.repeats} interleaved blocks; ratio to '{first}':")
        for name, r in rates.items():
            print(f"  [{ISA}] {name:45s} {statistics.median(r):8.1f}  {median_ratio(r, rates[first]):.2f}x")

    if not args.no_pipeline:
        print(f"\n[pipelines] make_train_dataset, batch {args.batch_size}, images/s after the first pass:")
        try:
            src = pipelines.open_source("tfds:mnist", data_dir=args.data_dir)
            what = f"tfds:mnist ({args.data_dir})"
        except pipelines.PipelineError:
            x = np.random.default_rng(0).integers(0, 256, (60000, 28, 28), dtype=np.uint8)
            src, what = pipelines.ArraySource(x, name="generated"), "generated 60000x28x28 arrays (no TFDS mnist)"
        rate = pipeline_rate(src, args.batch_size, (-1.0, 1.0))
        print(f"  {what}: {rate:9.0f}")
        folder = os.path.join(tmp, "pngs")
        os.makedirs(folder)
        write_pngs(folder, 4096)
        frate = pipeline_rate(pipelines.open_source(f"folder:{folder}"), args.batch_size, (-1.0, 1.0))
        print(f"  folder: of 4096 28x28 PNGs: {frate:9.0f}")
        if "dcgan" in results:
            slowest = min(rate, frate)
            print(f"  slowest pipeline / tfgan dcgan step: {slowest / results['dcgan']:.0f}x (need >= 10x)")

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS: {rss:.0f} MiB")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in load_average())}")


if __name__ == "__main__":
    main()
