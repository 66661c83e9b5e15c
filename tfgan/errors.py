"""Errors a user can fix, and the CLI wrapper that reports them cleanly.

`TfganError` is the one root of user errors: configuration (`ConfigError`),
data (`pipelines.PipelineError`), runs and exports all raise a subclass, so
a CLI reports every one of them as one ``error:`` line. This module imports
nothing else of tfgan, so that `pipelines` can use it.
"""

from __future__ import annotations

import sys


class TfganError(Exception):
    """A problem the user can fix; the message names it and the fix."""


class ConfigError(TfganError, ValueError):
    """Invalid flags or configuration."""


def unknown_choices(settings, **choices) -> list[str]:
    """One message per field of `settings` whose value is not among its `choices` (field name -> options)."""
    return [
        f"--{name}={getattr(settings, name)!r} is unknown; choose one of: {', '.join(options)}"
        for name, options in choices.items()
        if getattr(settings, name) not in options
    ]


def run_cli(main, argv) -> None:
    """Runs an absl `main(argv)`, turning user errors into one line and exit 2."""
    try:
        main(argv)
    except TfganError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted; the latest complete checkpoint is kept.", file=sys.stderr)
        sys.exit(130)
