"""CycleGAN steps on two CPU replicas (run in its own process: logical devices are set before TensorFlow starts).

Prints the step count, whether every logged metric is finite, and the pools' fill count.
"""

import math

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

from tests.translation.helpers import tiny_params  # noqa: E402
from tfgan.families.translation import trainer  # noqa: E402
from tfgan.run.config import RunConfig  # noqa: E402
from tfgan.run.family import SetupContext  # noqa: E402

strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
run = RunConfig(model_dir="unused", batch_size=4, steps=2, seed=1, strategy="mirrored")
params = tiny_params(domain_a="digits#class=1", domain_b="digits#class=7")
with strategy.scope():
    t = trainer.setup(SetupContext(run=run, params=params, strategy=strategy, fresh=True))
history = t.model.fit(t.dataset(0), steps_per_epoch=2, epochs=1, verbose=0).history
finite = all(math.isfinite(v[-1]) for v in history.values())
print(f"STEP {int(t.model.step.numpy())} FINITE {finite} POOL {int(t.model.pool_a.count.numpy())}")
