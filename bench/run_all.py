"""Run every benchmark in turn (``make bench``): training step, symbolic gradients, build and tests."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build
import symbolic
import train_step

if __name__ == "__main__":
    for benchmark in (train_step, symbolic, build):
        benchmark.main()
        print()
