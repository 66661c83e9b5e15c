"""Repair of TensorBoard event files cut short by a killed process.

An event file is a sequence of TFRecords: an 8-byte little-endian length, a
4-byte CRC of it, the payload, and a 4-byte CRC of the payload. A process
killed while writing can leave a partial last record; readers then stop
there or complain. Truncating the file after its last complete record
restores a valid file and loses only the record that was never finished.
"""

from __future__ import annotations

import glob
import os
import struct

_HEADER = 12  # length (8) + length CRC (4)
_FOOTER = 4  # payload CRC


def complete_length(path: str) -> int:
    """Bytes of `path` up to the end of its last complete record."""
    size = os.path.getsize(path)
    good = 0
    with open(path, "rb") as f:
        while good + _HEADER <= size:
            f.seek(good)
            (length,) = struct.unpack("<Q", f.read(8))
            end = good + _HEADER + length + _FOOTER
            if end > size:
                break
            good = end
    return good


def repair_event_files(logdir: str) -> list[str]:
    """Truncates every event file in `logdir` (and its run subfolders) after its last complete record.

    Returns:
      The paths that were cut.
    """
    repaired = []
    for path in sorted(glob.glob(os.path.join(logdir, "**", "events.out.tfevents.*"), recursive=True)):
        keep = complete_length(path)
        if keep < os.path.getsize(path):
            with open(path, "r+b") as f:
                f.truncate(keep)
            repaired.append(path)
    return repaired
