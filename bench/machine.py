"""What a benchmark ran on, printed with its figures: the figures of one run are compared with
each other, and this says how busy the machine was while they were taken."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def machine() -> str:
    """The processor, how many cores this process may use, and the load average now."""
    return f"machine: {_processor()}, {len(os.sched_getaffinity(0))} cores; {load()}"


def load() -> str:
    """The load average over 1, 5 and 15 minutes."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} {five:.1f} {fifteen:.1f}"


def _processor() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()
