"""Sample-quality metrics: Parzen window, Fréchet distance, KID, Inception score.

Pure functions of arrays (samples, features or class probabilities); the
feature extractors live in `tfgan.classifier_metrics` (the domain classifier) and
`tfgan.families.image.evaluation` (InceptionV3), the CLI in `tfgan.evaluate`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import tensorflow as tf

# Goodfellow et al. 2014's released parzen_ll.py: sigma from numpy.logspace(-1, 0, 10).
PARZEN_SIGMAS = tuple(float(s) for s in np.logspace(-1.0, 0.0, 10))


def parzen_log_likelihood(samples, data, sigma: float, chunk: int = 1000) -> np.ndarray:
    """Log-likelihood of each row of `data` under a Gaussian Parzen window.

    ``log p(x) = logsumexp_i(-||x - s_i||^2 / (2 sigma^2)) - log N - d log(sigma sqrt(2 pi))``,
    the estimator of Goodfellow et al. 2014 (Table 1) and Breuleux et al.
    2011. Distances come from ``|x|^2 + |s|^2 - 2 x.s`` in chunks of `chunk`
    data rows, so memory stays at ``chunk x N`` whatever the sizes.

    Args:
      samples: [N, d] generated samples, the window centres.
      data: [M, d] points to score.
      sigma: Window width.
      chunk: Data rows per matrix product.

    Returns:
      float64 [M] log-likelihoods.
    """
    s = tf.convert_to_tensor(np.asarray(samples, np.float32))
    s_sq = tf.reduce_sum(s * s, axis=1)
    n, d = s.shape
    const = math.log(n) + d * math.log(sigma * math.sqrt(2.0 * math.pi))
    out = []
    for start in range(0, len(data), chunk):
        x = tf.convert_to_tensor(np.asarray(data[start : start + chunk], np.float32))
        sq = tf.reduce_sum(x * x, axis=1, keepdims=True) + s_sq[None, :] - 2.0 * tf.matmul(x, s, transpose_b=True)
        sq = tf.maximum(sq, 0.0)  # rounding can make a tiny distance negative
        out.append(tf.reduce_logsumexp(-sq / (2.0 * sigma * sigma), axis=1).numpy().astype(np.float64) - const)
    return np.concatenate(out)


def parzen_select_sigma(samples, validation, sigmas=PARZEN_SIGMAS, chunk: int = 1000):
    """The sigma of `sigmas` with the highest mean log-likelihood of `validation`.

    Returns:
      ``(best_sigma, {sigma: mean_ll})``.
    """
    scores = {float(s): float(parzen_log_likelihood(samples, validation, s, chunk).mean()) for s in sigmas}
    return max(scores, key=scores.get), scores


def mean_and_stderr(values) -> tuple[float, float]:
    """Mean and standard error of the mean, the paper's ``x ± s.e.``."""
    values = np.asarray(values, np.float64)
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values)))


def gaussian_stats(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of [N, d] features (float64)."""
    f = np.asarray(features, np.float64)
    return f.mean(axis=0), np.cov(f, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet distance of two Gaussians (Dowson & Landau 1982; FID, Heusel et al. 2017).

    ``||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2))``.
    """
    from scipy import linalg

    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    with warnings.catch_warnings():  # singular products are handled just below
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():  # singular product: regularise as the FID reference code does
        offset = np.eye(sigma1.shape[0]) * 1e-6
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    covmean = np.real(covmean)
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))


def fid(features1, features2) -> float:
    """Fréchet distance between the Gaussians fitted to two feature sets."""
    return frechet_distance(*gaussian_stats(features1), *gaussian_stats(features2))


def kernel_inception_distance(features1, features2, subsets: int = 100, subset_size: int = 1000, seed: int = 0):
    """KID (Bińkowski et al. 2018): unbiased MMD^2 with the kernel ``(x.y / d + 1)^3``.

    Averaged over `subsets` random subsets of `subset_size` rows of each set.

    Returns:
      ``(mean, std)`` over the subsets.
    """
    f1, f2 = np.asarray(features1, np.float64), np.asarray(features2, np.float64)
    d = f1.shape[1]
    m = min(subset_size, len(f1), len(f2))
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(subsets):
        x = f1[rng.choice(len(f1), m, replace=False)]
        y = f2[rng.choice(len(f2), m, replace=False)]
        kxx = (x @ x.T / d + 1) ** 3
        kyy = (y @ y.T / d + 1) ** 3
        kxy = (x @ y.T / d + 1) ** 3
        mmd = (
            (kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2.0 * kxy.mean()
        )
        values.append(mmd)
    return float(np.mean(values)), float(np.std(values))


def inception_score(probs, splits: int = 10) -> tuple[float, float]:
    """``exp(E_x KL(p(y|x) || p(y)))`` (Salimans et al. 2016), mean and std over splits.

    1 when every prediction is the same distribution; the number of classes
    when predictions are confident and the classes balanced.
    """
    p = np.asarray(probs, np.float64)
    scores = []
    for part in np.array_split(p, max(1, min(splits, len(p)))):
        marginal = part.mean(axis=0, keepdims=True)
        kl = np.sum(part * (np.log(part + 1e-12) - np.log(marginal + 1e-12)), axis=1)
        scores.append(math.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def class_histogram(probs, num_classes: int) -> np.ndarray:
    """How many samples the classifier assigns to each class."""
    return np.bincount(np.argmax(np.asarray(probs), axis=1), minlength=num_classes)


def classes_covered(histogram, min_share: float = 0.1) -> int:
    """Classes holding at least `min_share` of a uniform share of the samples.

    With 10 classes and 10,000 samples a class counts when it gets >= 100;
    a collapsed generator covers few.
    """
    histogram = np.asarray(histogram)
    return int(np.sum(histogram >= min_share * histogram.sum() / len(histogram)))
