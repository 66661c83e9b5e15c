"""StyleGAN2 (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN"): work in progress.

Only the network layers exist so far (`networks`); the family record
(``FAMILY``), trainer, presets and export are not written yet, so the family
is not registered.
"""
