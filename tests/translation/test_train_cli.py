import json

from tests._util import run_module

TINY = (
    "--preset=digits2mnist",
    "--domain_a=digits#class=1",
    "--domain_b=digits#class=7",  # no optional wheel needed
    "--noclass_conditional",  # one class per domain
    "--image_size=8",
    "--generator_filters=4",
    "--resnet_blocks=1",
    "--discriminator_filters=4",
    "--discriminator_layers=1",
    "--batch_size=4",
    "--checkpoint_every=2",
)


def test_train_resume_export_and_evaluate_through_the_clis(tmp_path):
    model_dir = str(tmp_path / "run")
    first = run_module("tfgan.train", *TINY, "--steps=2", f"--model_dir={model_dir}")
    assert first.returncode == 0, first.stderr[-3000:]
    with open(f"{model_dir}/config.json") as f:
        config = json.load(f)
    assert config["family"] == "translation" and config["image_size"] == 8 and config["resnet_blocks"] == 1
    second = run_module("tfgan.train", *TINY, "--steps=3", f"--model_dir={model_dir}")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "resuming" in second.stderr and "at step 2 of 3" in second.stderr
    with open(f"{model_dir}/export/translator/2/metadata.json") as f:
        meta = json.load(f)
    assert meta["family"] == "translation" and meta["step"] == 3 and meta["directions"] == ["a_to_b", "b_to_a"]
    out = run_module(
        "tfgan.evaluate",
        f"--export_dir={model_dir}/export/translator",
        "--num_images=20",
        "--classifier_epochs=1",
        f"--out={tmp_path / 'eval.json'}",
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "a_to_b (untouched input)" in out.stdout and "mask IoU" in out.stdout  # one class each: silhouettes


def test_a_pix2pix_preset_without_pairs_is_one_error_line(tmp_path):
    proc = run_module("tfgan.train", "--preset=pix2pix", "--steps=1", f"--model_dir={tmp_path}")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("error: pairs:datasets/facades/train: no such folder")
