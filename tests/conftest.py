import os

# Before TensorFlow is imported anywhere in the test process.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

# Runs measure their convolution forms (--conv_levers=measure) and cache the
# choice. One cache per test process: two xdist workers timing the same layer
# at once could each cache a different choice, and a test comparing two runs
# of its own would then see two numerics. CLI subprocesses inherit it.
if "TFGAN_CACHE" not in os.environ:
    import tempfile

    os.environ["TFGAN_CACHE"] = tempfile.mkdtemp(prefix="tfgan-test-cache-")
