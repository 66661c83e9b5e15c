"""The image GAN's presets: what each sets; the `RunConfig` and `ImageParams` defaults fill the rest."""

PRESETS: dict[str, dict] = {
    # The embedded digits, upsampled to 16x16 (at 8x8 the DCGAN discriminator is
    # too shallow to teach G): recognisable digits in about 2-3 CPU minutes.
    "default": dict(
        dataset="digits",
        image_size=16,
        model="dcgan",
        loss="non_saturating",
        batch_size=64,
        steps=1500,
        optimizer="adam",
        lr=2e-4,
        beta_1=0.5,
        model_dir="runs/default",
        # 10 sample grids: TensorBoard keeps 10 images per tag by default, so
        # its Images slider shows every one of them.
        sample_every=150,
    ),
    # Goodfellow et al. 2014's MNIST experiment, as their released mnist.yaml:
    # the first 50,000 training images (the last 10,000 validate the Parzen
    # window), D's objective halved (d_obj = 0.5 * (...)), which for SGD is
    # D's learning rate halved, and its update order (AdversaryCost2: both
    # players' gradients from one sample, applied together). Under Algorithm 1
    # (D's step, then G's against the updated D) this setting collapsed in 3
    # of 5 seeds within 5 epochs on an AVX-512 CPU, D(G(z)) below 1e-3; with
    # the released code's order in none (benchmarks/collapse.py,
    # docs/performance_2014.md).
    "paper_mnist": dict(
        dataset="tfds:mnist",
        split="train[:50000]",
        d_lr=0.05,
        model="mlp",
        loss="non_saturating",
        d_steps=1,
        update="simultaneous",
        batch_size=100,
        epochs=100,
        latent_dim=100,
        optimizer="paper_sgd",
        lr=0.1,
        momentum_ramp_epochs=250,
        model_dir="runs/paper_mnist",
        checkpoint_every=3000,
    ),
    # The TensorFlow DCGAN tutorial on MNIST.
    "dcgan_mnist": dict(
        dataset="tfds:mnist",
        model="dcgan",
        loss="non_saturating",
        batch_size=256,
        epochs=50,
        optimizer="adam",
        lr=1e-4,
        beta_1=0.9,
        model_dir="runs/dcgan_mnist",
        checkpoint_every=1000,
    ),
    # For students: MNIST digits within minutes on a CPU. The tutorial's DCGAN
    # networks, trained the way its loop does (--update=simultaneous: one G(z)
    # per step, about 1/1.27 of Algorithm 1's multiply-adds), with the DCGAN
    # paper's Adam(2e-4, beta_1=0.5) at batch 64 (more updates per minute than
    # the tutorial's 256) and an EMA of G's weights for the samples. Whether it
    # reaches issue 20's target (classifier-FID <= 10, 10 classes in 15
    # minutes on 2 cores) is measured by benchmarks/time_to_quality.py: float32
    # reached 13.67 in 15 minutes (8,550 steps) on a 2-core AMX Xeon and 54.4
    # on a loaded AVX-512 EPYC (docs/performance_2014.md).
    "quick_mnist": dict(
        dataset="tfds:mnist",
        model="dcgan",
        loss="non_saturating",
        update="simultaneous",
        batch_size=64,
        steps=4000,
        optimizer="adam",
        lr=2e-4,
        beta_1=0.5,
        ema_decay=0.999,
        model_dir="runs/quick_mnist",
        checkpoint_every=500,
    ),
    # quick_mnist for CPUs with bfloat16 matrix units (AVX-512 BF16 or AMX):
    # bfloat16 math with float32 variables and network ends, Adam's rate raised
    # to 5e-4 for both players, and as many steps as 15 minutes hold on a
    # 2-core AMX Xeon. There, 13,150 steps in 15 minutes reached classifier-FID
    # 9.14 with all 10 classes (benchmarks/time_to_quality.py, setting
    # quick_mnist_bf16_lr; docs/performance_2014.md). Without such units
    # bfloat16 is emulated and slower than quick_mnist's float32.
    "quick_mnist_bf16": dict(
        dataset="tfds:mnist",
        model="dcgan",
        loss="non_saturating",
        update="simultaneous",
        batch_size=64,
        steps=13000,
        optimizer="adam",
        lr=5e-4,
        beta_1=0.5,
        ema_decay=0.999,
        mixed_precision=True,
        mixed_dtype="bfloat16",
        model_dir="runs/quick_mnist_bf16",
        checkpoint_every=1000,
    ),
    # Class-conditional MNIST (Mirza & Osindero 2014's task) with the DCGAN
    # networks: z plus a label embedding in G, a projection discriminator
    # (Miyato & Koyama 2018). After the 2000 steps (35 minutes on a shared
    # 2-core CPU) the domain classifier reads the asked-for digit in 99% of
    # samples (docs/families_conditional.md).
    "cgan_mnist": dict(
        dataset="tfds:mnist",
        model="dcgan",
        conditional=True,
        loss="non_saturating",
        batch_size=64,
        steps=2000,
        optimizer="adam",
        lr=2e-4,
        beta_1=0.5,
        model_dir="runs/cgan_mnist",
        checkpoint_every=500,
    ),
    # SNGAN on CIFAR-10 (Miyato et al. 2018, Table 3 setting C / appendix
    # B.4): the ResNet networks, spectral norm on D, hinge loss, n_dis = 5
    # D steps, Adam(2e-4, beta_1=0, beta_2=0.9), batch 64, 50k generator
    # updates.
    "sngan_cifar10": dict(
        dataset="tfds:cifar10",
        model="resnet",
        spectral_norm=True,
        loss="hinge",
        d_steps=5,
        batch_size=64,
        steps=50000,
        latent_dim=128,
        optimizer="adam",
        lr=2e-4,
        beta_1=0.0,
        beta_2=0.9,
        model_dir="runs/sngan_cifar10",
        checkpoint_every=1000,
    ),
    # WGAN-GP (Gulrajani et al. 2017, Algorithm 1) on MNIST with the DCGAN
    # networks (D has no BatchNorm, which the per-example penalty needs):
    # lambda = 10, n_critic = 5, Adam(1e-4, beta_1=0, beta_2=0.9).
    "wgan_gp_mnist": dict(
        dataset="tfds:mnist",
        model="dcgan",
        loss="wasserstein",
        gp_weight=10.0,
        d_steps=5,
        batch_size=64,
        steps=20000,
        optimizer="adam",
        lr=1e-4,
        beta_1=0.0,
        beta_2=0.9,
        model_dir="runs/wgan_gp_mnist",
        checkpoint_every=1000,
    ),
}
