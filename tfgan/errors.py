"""Errors a user can fix, and the CLI wrapper that reports them cleanly."""

from __future__ import annotations

import sys


class TfganError(Exception):
    """A problem the user can fix; the message names it and the fix."""


class ConfigError(TfganError, ValueError):
    """Invalid flags or configuration."""


def user_errors() -> tuple[type[BaseException], ...]:
    """Exception types a CLI reports as one message instead of a traceback."""
    from pipelines import PipelineError

    return (TfganError, PipelineError)


def run_cli(main, argv) -> None:
    """Runs an absl `main(argv)`, turning user errors into one line and exit 2."""
    try:
        main(argv)
    except user_errors() as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted; the latest complete checkpoint is kept.", file=sys.stderr)
        sys.exit(130)
