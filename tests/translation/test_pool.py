import numpy as np
import pytest
import tensorflow as tf

from tfgan.families.translation.pool import ImagePool


def _images(value, n=2):
    return tf.fill((n, 2, 2, 1), float(value))


def test_fills_first_returning_its_input():
    pool = ImagePool(4, (2, 2, 1), seed=0)
    for k in (1, 2):
        np.testing.assert_array_equal(pool.query(_images(k)).numpy(), _images(k).numpy())
    assert int(pool.count.numpy()) == 4
    np.testing.assert_array_equal(pool.images.numpy()[:, 0, 0, 0], [1, 1, 2, 2])


def test_once_full_returns_a_mix_of_new_and_stored_images():
    pool = ImagePool(4, (2, 2, 1), seed=0)
    pool.query(tf.constant(np.arange(1, 5, dtype=np.float32).reshape(4, 1, 1, 1) * np.ones((4, 2, 2, 1), np.float32)))
    seen_old = seen_new = 0
    for k in range(10, 30):
        before = set(pool.images.numpy()[:, 0, 0, 0].tolist())
        out = pool.query(_images(k)).numpy()[:, 0, 0, 0]
        after = pool.images.numpy()[:, 0, 0, 0].tolist()
        for v in out:
            if v == k:
                seen_new += 1
            else:
                assert v in before  # a stored image ...
                seen_old += 1
        # ... replaced by the new one: the pool holds as many k's as were swapped out.
        assert after.count(k) == sum(v != k for v in out)
    assert seen_old > 5 and seen_new > 5  # about half each of 40


def test_pool_state_is_checkpointed_so_a_restored_pool_draws_the_same(tmp_path):
    pool = ImagePool(4, (2, 2, 1), seed=3)
    for k in range(4):
        pool.query(_images(k))
    path = tf.train.Checkpoint(pool=pool).write(str(tmp_path / "ckpt"))
    expected = [pool.query(_images(100 + k)).numpy() for k in range(4)]
    restored = ImagePool(4, (2, 2, 1), seed=99)
    tf.train.Checkpoint(pool=restored).read(path).assert_consumed()
    got = [restored.query(_images(100 + k)).numpy() for k in range(4)]
    np.testing.assert_array_equal(np.stack(got), np.stack(expected))


def test_works_inside_a_compiled_function():
    pool = ImagePool(3, (2, 2, 1), seed=0)
    query = tf.function(pool.query, jit_compile=False)
    for k in range(3):
        query(_images(k, n=1))
    assert int(pool.count.numpy()) == 3
    np.testing.assert_array_equal(pool.images.numpy()[:, 0, 0, 0], [0, 1, 2])


def test_never_stores_non_finite_images():
    pool = ImagePool(4, (2, 2, 1), seed=0)
    pool.query(_images(float("nan")))
    assert int(pool.count.numpy()) == 0 and np.all(pool.images.numpy() == 0)


def test_size_zero_is_off_and_a_batch_larger_than_the_pool_is_refused():
    off = ImagePool(0, (2, 2, 1))
    np.testing.assert_array_equal(off.query(_images(5)).numpy(), _images(5).numpy())
    with pytest.raises(ValueError, match="raise --pool_size"):
        ImagePool(1, (2, 2, 1)).query(_images(1, n=2))
