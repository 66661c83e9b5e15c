"""What every tfgan command-line tool shares: logging and error reporting."""

from __future__ import annotations

import logging

from absl import app, flags
from absl import logging as absl_logging

from tfgan.errors import run_cli


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
