"""The image-to-image translation family: CycleGAN (unpaired) and pix2pix (paired).

A two-way filter between two image domains, trained from any two image
sources (`pipelines.domains`) and served as one SavedModel
(`tfgan.families.translation.export`, ``export/translator/<version>/``).
"""
