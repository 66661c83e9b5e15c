"""pSp's losses (Richardson et al. 2021, "Encoding in Style", sec. 3.3, eq. 2-6), as pure functions.

pSp trains its encoder on a weighted sum of an L2 pixel loss, LPIPS, an
identity loss (ArcFace, faces only) and a regulariser keeping W+ near the
mean w. LPIPS and the identity loss take the networks the user supplies the
weights of (`tfgan.lpips`, `tfgan.families.psp.irse`).
"""

from __future__ import annotations

from keras import ops


def psp_reconstruction_loss(real, reconstruction):
    """pSp's L2 loss (eq. 2): the mean squared pixel error, as its code's ``F.mse_loss(y_hat, y)``.

    Args:
      real, reconstruction: float [N, H, W, C] images in one value range.

    Returns:
      Scalar: the mean over every pixel, channel and image.
    """
    return ops.mean(ops.square(ops.cast(reconstruction, "float32") - ops.cast(real, "float32")))


def psp_w_norm_loss(w_plus, w_avg):
    """pSp's W-norm regulariser (eq. 5, ``criteria/w_norm.py`` with ``start_from_latent_avg``).

    The L2 norm of each image's whole W+ offset from the mean w (taken over
    rows and features together, as ``latent.norm(2, dim=(1, 2))``),
    averaged over the batch.

    Args:
      w_plus: float [N, num_ws, w_dim].
      w_avg: float [w_dim], G's mean w.

    Returns:
      Scalar.
    """
    delta = ops.cast(w_plus, "float32") - ops.cast(w_avg, "float32")
    return ops.mean(ops.sqrt(ops.sum(ops.square(delta), axis=(1, 2))))


def psp_lpips_loss(lpips, real, reconstruction):
    """pSp's LPIPS loss (eq. 3, ``criteria/lpips``): the batch mean of LPIPS(reconstruction, real).

    Args:
      lpips: A `tfgan.lpips.LPIPS` (per-image distances).
      real, reconstruction: float [N, H, W, C] images in [-1, 1].

    Returns:
      Scalar.
    """
    return ops.mean(lpips(reconstruction, real))


def psp_identity_loss(real_embeddings, reconstruction_embeddings):
    """pSp's identity loss (eq. 4, ``criteria/id_loss.py``): the batch mean of 1 - <e(y_hat), e(y)>.

    The embeddings are unit vectors (ArcFace's), so the inner product is the
    cosine similarity; the real images' side carries no gradient, as pSp
    detaches it.

    Args:
      real_embeddings, reconstruction_embeddings: float [N, D], unit rows.

    Returns:
      Scalar.
    """
    real = ops.stop_gradient(ops.cast(real_embeddings, "float32"))
    return ops.mean(1.0 - ops.sum(real * ops.cast(reconstruction_embeddings, "float32"), axis=-1))
