import json

import numpy as np
import pytest

from tfgan.families.translation import evaluation, export


def test_mask_iou_is_intersection_over_union():
    x = np.zeros((2, 4, 4), bool)
    y = np.zeros((2, 4, 4), bool)
    x[0, :2, :2] = True  # 4 pixels
    y[0, :2, :3] = True  # 6 pixels, 4 shared
    np.testing.assert_allclose(evaluation.mask_iou(x, y), [4 / 6, 1.0])  # two empty masks agree


def test_silhouette_mask_fills_stripes_inside_the_body():
    zebra = np.zeros((1, 9, 9, 1), np.uint8)
    zebra[0, 2:7, 2:7] = 255
    zebra[0, 4, 3:6] = 0  # a black stripe inside the body
    mask = evaluation.silhouette_mask(zebra)[0]
    assert mask[4, 4] and mask.sum() == 25 and not mask[0, 0]


def _identity_export(path):
    translator = export.Translator(lambda x: x, lambda x: x, image_size=8, channels=1)
    meta = export.write_translator(str(path), translator, facts={"domains": {"a": "digits", "b": "digits"}})
    (path / "metadata.json").write_text(json.dumps(meta))
    return str(path)


@pytest.fixture(scope="module")
def identity_results(tmp_path_factory):
    directory = _identity_export(tmp_path_factory.mktemp("identity"))
    return evaluation.evaluate({"export_dir": directory, "num_images": 100, "classifier_epochs": 1})


def test_an_identity_filter_scores_exactly_as_the_untouched_input(identity_results):
    assert identity_results["content"] == "classes"
    for d in identity_results["directions"].values():
        for key in ("realism", "fid", "content"):
            assert d["translated"][key] == pytest.approx(d["untouched"][key])
        assert d["translated"]["cycle_l1"] == 0.0 and d["translated"]["identity_l1"] == 0.0
        assert d["images"] == 100


def test_confusion_counts_each_input_class_by_the_class_read():
    matrix = evaluation.confusion(np.array([0, 0, 1, 2, 2]), np.array([0, 1, 1, 2, 0]), 3)
    np.testing.assert_array_equal(matrix, [[1, 1, 0], [0, 1, 0], [1, 0, 1]])


def test_the_confusion_matrix_agrees_with_the_class_kept(identity_results):
    for d in identity_results["directions"].values():
        for row in ("translated", "untouched"):
            matrix = np.array(d[row]["confusion"])
            assert matrix.sum() == d["images"]
            assert np.trace(matrix) / matrix.sum() == pytest.approx(d[row]["content"])


def test_the_real_target_row_is_the_classifiers_own_score_on_real_images(identity_results):
    # Both domains are the UCI digits: the real target images are the untouched inputs themselves.
    for d in identity_results["directions"].values():
        assert d["target_images"] == d["images"] == 100
        assert d["real_target"]["realism"] == pytest.approx(d["untouched"]["realism"])
        assert d["real_target"]["content"] == pytest.approx(d["untouched"]["content"])
        assert 0.0 < d["real_target"]["fid"] < 1e6  # train vs test images: not the same set


def test_the_table_has_a_translated_an_untouched_and_a_reference_row_per_direction(identity_results):
    table = evaluation.format_results(identity_results)
    assert table.count("(untouched input)") == 2 and table.count("(translated)") == 2
    assert table.count("(real target images)") == 2 and "n/a | n/a" in table  # no cycle for real images
    assert "class kept" in table.splitlines()[0]
    old = {
        **identity_results,
        "directions": {
            k: {r: v[r] for r in ("translated", "untouched", "images")}
            for k, v in identity_results["directions"].items()
        },
    }
    assert "(real target images)" not in evaluation.format_results(old)  # an eval.json from before still prints


def test_content_kind_follows_the_domains():
    assert evaluation.content_kind(evaluation.EvalOptions("x"), {"a": "x#class=horse", "b": "x#class=zebra"}, {}) == (
        "silhouette"
    )
    assert (
        evaluation.content_kind(evaluation.EvalOptions("x", content="none"), {"a": "digits", "b": "digits"}, {})
        == "none"
    )
