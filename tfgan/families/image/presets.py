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
    ),
    # Goodfellow et al. 2014's MNIST experiment, as their released mnist.yaml:
    # the first 50,000 training images (the last 10,000 validate the Parzen
    # window), and D's objective halved (d_obj = 0.5 * (...)), which for SGD
    # is D's learning rate halved.
    "paper_mnist": dict(
        dataset="tfds:mnist",
        split="train[:50000]",
        d_lr=0.05,
        model="mlp",
        loss="non_saturating",
        d_steps=1,
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
