"""The pSp family's presets: what each sets; the `RunConfig` and `PSPParams` defaults fill the rest."""

PRESETS: dict[str, dict] = {
    # For a CPU: an encoder for the 32x32 MNIST StyleGAN2 of
    # `--preset=stylegan2_mnist32` (W+ 8 x 64), on the same real digits. A
    # small backbone (16-64 feature maps, one IR block a stage), Adam at
    # pSp's 1e-4 raised to 5e-4 for a short run, L2 as pSp and its W-norm at
    # 0.005 (pSp's sketch/segmentation setting: codes near the mean w
    # transfer better to a fine-tuned generator, which toonify relies on).
    "psp_mnist32": dict(
        generator="runs/stylegan2_mnist32",
        dataset="offline:mnist_5k",
        encoder_width=16,
        encoder_max=64,
        encoder_blocks=1,
        l2_weight=1.0,
        w_norm_weight=0.005,
        lr=5e-4,
        batch_size=16,
        steps=2000,
        model_dir="runs/psp_mnist32",
        checkpoint_every=500,
        sample_every=250,
    ),
    # The same for animal-mnist horses (28x28, resized to the generator's
    # 32): the encoder of domain A of the horse -> zebra toonify demo, for
    # a StyleGAN2 trained on horses (docs/psp.md has the commands).
    "psp_horses32": dict(
        generator="runs/stylegan2_horses32",
        dataset="offline:animal_mnist#class=horse",
        encoder_width=16,
        encoder_max=64,
        encoder_blocks=1,
        l2_weight=1.0,
        w_norm_weight=0.005,
        lr=5e-4,
        batch_size=16,
        steps=2000,
        model_dir="runs/psp_horses32",
        checkpoint_every=500,
        sample_every=250,
    ),
    # pSp's FFHQ-encoding settings for a GPU and your own generator: 256-px
    # input (the generator's size), its IR-SE50 backbone, L2 1.0, W-norm 0
    # (its ffhq_encode command), Adam 1e-4 (pSp: Ranger 1e-4), batch 8, 500k
    # steps. Add the weights files pSp uses (converted once with `python -m
    # tfgan.convert_weights`, docs/psp.md): --backbone_weights and
    # --id_weights (ArcFace IR-SE50; identity loss at its 0.1) and
    # --lpips_weights (LPIPS-alex, at its 0.8).
    "psp": dict(
        generator="runs/stylegan2",
        dataset="folder:datasets/psp",
        backbone="ir_se50",
        l2_weight=1.0,
        w_norm_weight=0.0,
        lr=1e-4,
        batch_size=8,
        steps=500000,
        model_dir="runs/psp",
        checkpoint_every=5000,
        sample_every=5000,
    ),
}
