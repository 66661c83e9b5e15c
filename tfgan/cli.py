"""What every tfgan command-line tool shares: logging, error reporting, and the flags of dataclasses."""

from __future__ import annotations

import logging
import os

# TensorFlow's C++ start-up chatter (oneDNN notes, "failed call to cuInit" on
# machines without a GPU) hides the progress bar; errors still raise Python
# exceptions. Set the variable yourself to see it. Here, not in the library:
# a program that imports tfgan keeps its own logging settings.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import app, flags  # noqa: E402
from absl import logging as absl_logging  # noqa: E402

from tfgan.errors import ConfigError, run_cli  # noqa: E402


def start(main) -> None:
    """Runs an absl `main(argv)` as a tfgan CLI.

    User errors become one ``error: ...`` line and exit code 2. TensorFlow's
    own INFO logging is hidden unless ``--verbosity`` is given, while
    tfgan's progress lines stay visible.
    """

    def wrapped(argv):
        if not flags.FLAGS["verbosity"].present:
            absl_logging.set_verbosity(absl_logging.WARNING)
            logging.getLogger("tfgan").setLevel(logging.INFO)
        run_cli(main, argv)

    app.run(wrapped)


def no_arguments(argv) -> None:
    """Refuses positional arguments (a typo such as ``--steps 5`` leaves ``5`` behind)."""
    if len(argv) > 1:
        raise ConfigError(f"unexpected arguments {argv[1:]}; flags take the form --name=value.")
