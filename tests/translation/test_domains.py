import numpy as np
import pytest
import tensorflow as tf

from pipelines import PipelineError, domains


def _png(path, image):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tf.io.encode_png(image).numpy())


def _npz(path, n_per_class=(3, 5), size=4, channels=None):
    x, y = [], []
    for label, n in enumerate(n_per_class):
        x.append(np.full((n, size, size) + ((channels,) if channels else ()), 40 * (label + 1), np.uint8))
        y += [label] * n
    np.savez(path, x=np.concatenate(x), y=np.array(y, np.int32))
    return f"npz:{path}"


def test_a_class_restriction_keeps_that_class_only(tmp_path):
    spec = _npz(tmp_path / "x.npz")
    source = domains.open_domain(spec + "#class=1")
    assert source.info.num_examples == 5
    images = domains.domain_images(source)
    assert np.all(images == 80)
    with pytest.raises(PipelineError, match="no images of class 7"):
        domains.open_domain(spec + "#class=7")
    with pytest.raises(PipelineError, match="unknown class 'horse'"):
        domains.open_domain(spec + "#class=horse")


def test_unpaired_epoch_is_the_larger_domain_and_each_is_shuffled_on_its_own(tmp_path):
    spec = _npz(tmp_path / "x.npz")
    pair = domains.open_domains(spec + "#class=0", spec + "#class=1")
    assert pair.num_examples == 5 and domains.domain_steps_per_epoch(pair, 2) == 2
    stream = domains.make_domain_dataset(pair, 1, seed=0)
    batches = list(stream.take(15).as_numpy_iterator())
    a = [float(b["a"][0, 0, 0, 0]) for b in batches]
    b = [float(b["b"][0, 0, 0, 0]) for b in batches]
    assert set(np.round(a, 4)) == {round(40 / 127.5 - 1, 4)} and set(np.round(b, 4)) == {round(80 / 127.5 - 1, 4)}
    assert batches[0]["a"].shape == (1, 4, 4, 1) and batches[0]["a"].dtype == np.float32


def test_the_stream_resumes_exactly(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (9, 8, 8), np.uint8)
    np.savez(tmp_path / "x.npz", x=x)
    pair = domains.open_domains(f"npz:{tmp_path / 'x.npz'}", "digits", image_size=8)
    full = list(domains.make_domain_dataset(pair, 3, seed=5, augment=True).take(7).as_numpy_iterator())
    resumed = list(domains.make_domain_dataset(pair, 3, seed=5, start_step=4, augment=True).take(3).as_numpy_iterator())
    for f, r in zip(full[4:], resumed, strict=True):
        np.testing.assert_array_equal(f["a"], r["a"])
        np.testing.assert_array_equal(f["b"], r["b"])
    # Per-epoch reshuffling: the A order of epoch 1 (3 batches of 3 of 9) differs from epoch 2's.
    assert not np.array_equal(np.concatenate([b["a"] for b in full[:3]]), np.concatenate([b["a"] for b in full[3:6]]))


def test_channel_mismatch_is_converted_and_said(tmp_path):
    grey = _npz(tmp_path / "g.npz", size=8)
    rgb = _npz(tmp_path / "c.npz", size=8, channels=3)
    pair = domains.open_domains(grey, rgb)
    assert pair.image_shape == (8, 8, 3)
    assert any("channel counts differ (A: 1, B: 3)" in note for note in pair.notes)


def test_an_empty_domain_folder_is_one_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(PipelineError, match=r"--domain_b=folder:.*empty: .*no image files"):
        domains.open_domains("digits", f"folder:{tmp_path / 'empty'}")


def test_paired_folders_match_by_name_and_list_the_unmatched(tmp_path):
    img = np.zeros((8, 8, 1), np.uint8)
    for name in ("x1", "x2", "only_a"):
        _png(tmp_path / "A" / f"{name}.png", img)
    for name in ("x1", "x2", "only_b1", "only_b2"):
        _png(tmp_path / "B" / f"{name}.png", img)
    with pytest.raises(PipelineError) as e:
        domains.open_pairs(f"pairs:{tmp_path}")
    assert "only in A/: ['only_a']" in str(e.value) and "only in B/: ['only_b1', 'only_b2']" in str(e.value)


def test_paired_folders_give_matched_pairs_with_the_same_jitter(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(3):
        image = rng.integers(0, 256, (64, 64, 1), np.uint8)
        _png(tmp_path / "A" / f"{i}.png", image)
        _png(tmp_path / "B" / f"{i}.jpg", image)  # names match without the extension
    pair = domains.open_pairs(f"pairs:{tmp_path}")
    assert pair.paired and pair.num_examples == 3 and pair.image_shape == (64, 64, 1)
    assert domains.jitter_default(64) and not domains.jitter_default(32)
    batch = next(iter(domains.make_domain_dataset(pair, 3, seed=0)))
    # JPEG is lossy, so A and B differ a little; the same crop and flip keep them aligned.
    assert np.abs(batch["a"].numpy() - batch["b"].numpy()).mean() < 0.1


def test_side_by_side_images_split_into_left_a_and_right_b(tmp_path):
    left, right = np.full((8, 8, 3), 10, np.uint8), np.full((8, 8, 3), 200, np.uint8)
    _png(tmp_path / "ab" / "0.png", np.concatenate([left, right], axis=1))
    pair = domains.open_pairs(f"pairs:{tmp_path / 'ab'}")
    element = next(iter(pair.pairs))
    assert np.all(element["a"].numpy() == 10) and np.all(element["b"].numpy() == 200)


def test_elements_keep_their_declared_contracts(tmp_path):
    from pipelines import check_element

    spec = _npz(tmp_path / "x.npz")
    source = domains.open_domain(spec + "#class=1")
    check_element(source.features(), next(iter(source.examples().as_numpy_iterator())))
    pair = domains.open_domains(spec + "#class=0", spec + "#class=1")
    element = next(iter(domains.make_domain_dataset(pair, 2, seed=0).as_numpy_iterator()))
    check_element(domains.domain_features(pair, 2), element)


def test_labels_travel_with_their_images_through_the_shuffle(tmp_path):
    from pipelines import check_element

    # Each class has its own grey level (40, 80, 120), so an image's label can be read from its pixels.
    a = _npz(tmp_path / "a.npz", n_per_class=(3, 5, 4))
    b = _npz(tmp_path / "b.npz", n_per_class=(6, 2, 2))
    pair = domains.open_domains(a, b)
    stream = domains.make_domain_dataset(pair, 4, seed=3, labels=True)
    plain = domains.make_domain_dataset(pair, 4, seed=3)
    for element, without in zip(stream.take(6).as_numpy_iterator(), plain.take(6).as_numpy_iterator(), strict=True):
        check_element(domains.domain_features(pair, 4, labels=True), element)
        for k in "ab":
            grey = np.round((element[k][:, 0, 0, 0] + 1) * 127.5)
            np.testing.assert_array_equal(grey, 40 * (element[f"label_{k}"] + 1))
            np.testing.assert_array_equal(element[k], without[k])  # asking for labels changes no image
    assert set(without) == {"a", "b"}
    with pytest.raises(PipelineError, match="no class labels"):
        domains.make_domain_dataset(domains.DomainPair(None, None, (4, 4, 1), 1, paired=True), 1, seed=0, labels=True)
