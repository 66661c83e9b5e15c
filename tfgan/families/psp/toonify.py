"""Toonify: a translator export made of an encoder and another generator (Pinkney & Adler 2020; pSp sec. 4.4).

A -> B encodes an image of domain A with A's pSp encoder and synthesises
that W+ code with B's generator, a StyleGAN2 fine-tuned from A's
(``--init_from``) or a layer blend of the two (``tfgan.blend``): the two
share A's W space, so the code means "the same picture" in B's style.
B -> A is the mirror image when B's encoder and A's generator are given.

The result is the translation family's translator export
(`tfgan.families.translation.export.Translator`, ``family: translation``
in metadata.json), so `tfgan.translate`, TF Serving and the translation
evaluation (``tfgan.evaluate``) use it unchanged.
"""

from __future__ import annotations

import dataclasses
import logging
import os

import tensorflow as tf

from tfgan.errors import ConfigError
from tfgan.families.psp.export import Encoder, load_encoder
from tfgan.families.stylegan.loading import Generator, load_generator
from tfgan.families.translation import export as translator_export
from tfgan.run import exports

log = logging.getLogger(__name__)
TRANSLATOR_FAMILY = "translation"


@dataclasses.dataclass(frozen=True)
class ToonifyOptions:
    """What `python -m tfgan.toonify` builds.

    Attributes:
      encoder: Domain A's pSp encoder export (<run>/export/encoder).
      generator: Domain B's StyleGAN2 (run directory or generator export):
        A's generator fine-tuned on B, or a blend of the two.
      encoder_b: Domain B's pSp encoder export, for b_to_a (with
        --generator_a).
      generator_a: Domain A's StyleGAN2, for b_to_a (with --encoder_b).
      out: The translator export base (versions inside), e.g.
        runs/toonify/export/translator.
    """

    encoder: str | None = None
    generator: str | None = None
    encoder_b: str | None = None
    generator_a: str | None = None
    out: str | None = None


def origin(path: str) -> str:
    """The run a path stands for: ``<run>/export/generator[/<v>]`` -> ``<run>``; anything else itself (absolute)."""
    path = os.path.abspath(path)
    parts = path.split(os.sep)
    if parts[-1].isdigit():
        parts = parts[:-1]
    if len(parts) >= 2 and parts[-2] == "export":
        run = os.sep.join(parts[:-2])
        if os.path.isfile(os.path.join(run, "config.json")):
            return run
    return path


def check_w_space(encoder: Encoder, generator: Generator, enc_flag: str, gen_flag: str) -> bool:
    """Refuses a generator whose W+ is not the encoder's; returns whether its lineage reaches the encoder's G.

    Raises:
      ConfigError: Other num_ws, w_dim or channels (both values named).
    """
    meta = encoder.meta
    wrong = [
        f"{name}: {meta[name]} ({enc_flag}) vs {getattr(generator, name)} ({gen_flag})"
        for name in ("num_ws", "w_dim", "channels")
        if meta[name] != getattr(generator, name)
    ]
    if wrong:
        raise ConfigError(
            f"{gen_flag}={generator.path} has another W space than the encoder {enc_flag}={encoder.path}: "
            + "; ".join(wrong)
            + f". Give a generator fine-tuned from (or blended with) the one the encoder inverts "
            f"({meta['generator']['path']})."
        )
    theirs = {origin(p) for p in meta["generator"].get("lineage", [meta["generator"]["path"]])}
    related = bool(theirs & {origin(p) for p in generator.lineage})
    if not related:
        log.warning(
            "%s=%s does not descend from the encoder's generator %s by --init_from (as far as their configs "
            "record): its W space has the same shape but may mean other pictures.",
            gen_flag,
            generator.path,
            meta["generator"]["path"],
        )
    return related


def direction(encoder: Encoder, generator: Generator):
    """float [N, S, S, C] in [-1, 1] -> G(E(x)), the same shape: one translator direction."""

    def translate(x):
        return tf.cast(generator.synthesis(encoder.encode(x), training=False), tf.float32)

    return translate


def build_translator(
    encoder: Encoder, generator_b: Generator, encoder_b: Encoder | None = None, generator_a: Generator | None = None
) -> translator_export.Translator:
    """The `Translator` of A's encoder with B's generator (and B's encoder with A's generator)."""
    meta = encoder.meta
    back = None
    if encoder_b is not None:
        back = direction(encoder_b, generator_a)
    track = [encoder.encoder, generator_b.synthesis]
    if encoder_b is not None:
        track += [encoder_b.encoder, generator_a.synthesis]
    return translator_export.Translator(
        direction(encoder, generator_b),
        back,
        image_size=meta["image_size"],
        channels=meta["channels"],
        track=track,
    )


def toonify(options: ToonifyOptions | dict) -> str:
    """Builds and publishes the translator; returns its version directory.

    Raises:
      ConfigError: A missing or bad path, half of the B -> A pair, or W
        spaces that do not match.
    """
    if isinstance(options, dict):
        options = ToonifyOptions(**options)
    for name in ("encoder", "generator", "out"):
        if not getattr(options, name):
            raise ConfigError(f"--{name} is required (python -m tfgan.toonify --help says what each is).")
    if (options.encoder_b is None) != (options.generator_a is None):
        given, missing = ("encoder_b", "generator_a") if options.encoder_b else ("generator_a", "encoder_b")
        raise ConfigError(
            f"--{given} is given without --{missing}: b_to_a needs both (B's encoder and A's generator); "
            f"give --{missing}, or drop --{given} for an a_to_b-only translator."
        )
    enc_a = load_encoder(options.encoder, "--encoder")
    gen_b = load_generator(options.generator, "--generator")
    related = {"a_to_b": check_w_space(enc_a, gen_b, "--encoder", "--generator")}
    enc_b = gen_a = None
    if options.encoder_b:
        enc_b = load_encoder(options.encoder_b, "--encoder_b")
        gen_a = load_generator(options.generator_a, "--generator_a")
        related["b_to_a"] = check_w_space(enc_b, gen_a, "--encoder_b", "--generator_a")
        if enc_b.meta["image_size"] != enc_a.meta["image_size"]:
            raise ConfigError(
                f"--encoder_b takes {enc_b.meta['image_size']}-px images, --encoder {enc_a.meta['image_size']}-px; "
                "a translator has one size: give encoders of one size."
            )
    translator = build_translator(enc_a, gen_b, enc_b, gen_a)
    facts = {
        "model": "toonify",
        "domains": {"a": enc_a.meta["dataset"], "b": gen_b.params.dataset},
        "encoder": enc_a.path,
        "generator": gen_b.facts(),
        "lineage_verified": related,
    }
    if enc_b is not None:
        facts.update(encoder_b=enc_b.path, generator_a=gen_a.facts())
    return exports.publish(
        options.out,
        lambda staging: translator_export.write_translator(staging, translator, facts=facts),
        family=TRANSLATOR_FAMILY,
    )
