"""The shape of the teaching pages: prose share, block count and block lengths.

Usage: ``python bench/page_shape.py [docs/page.md ...]`` (default: the teaching pages listed in
TEACHING). For each page it prints the words of prose and their share of all words, the number
of Python blocks, their median and longest length in lines, and the figures it shows.

What counts: prose is every word outside fenced code, outside display formulas (``$$ ... $$``)
and outside exercise blocks (``/// exercise`` ... ``///``); inline code and inline math count
as prose words, as a reader reads them in a sentence. A block is a fenced ``python`` block
(continuations included); its length is its number of lines, blank lines included.
The targets of a teaching page: at most 14 blocks, median at most 15 lines, none over 40,
prose at least 50 % of the words.
"""

from __future__ import annotations

import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEACHING = [
    "neuron.md",
    "learning-rate.md",
    "learning-rate-practice.md",
    "initialization.md",
    "initialization-practice.md",
    "loss.md",
    "loss-likelihood.md",
    "chain-rule.md",
    "activations.md",
    "backpropagation.md",
    "forward-and-reverse-mode.md",
    "gradient-checking.md",
    "finite-differences.md",
]
FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})([^\n]*)\n(.*?)^\1\2[ \t]*$", re.S | re.M)
DISPLAY = re.compile(r"\$\$.*?\$\$", re.S)
EXERCISE = re.compile(r"^/// exercise.*?^///[ \t]*$", re.S | re.M)
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)]+\.svg)\)")
WORD = re.compile(r"[A-Za-z0-9][\w'’.-]*")


def shape(text: str) -> dict:
    """Prose words, total words, block lengths and figures of one page's Markdown."""
    blocks, code_words = [], 0
    for match in FENCE.finditer(text):
        body = match.group(4)
        code_words += len(WORD.findall(body))
        if "python" in match.group(3):
            blocks.append(body.count("\n"))
    prose_text = FENCE.sub(" ", text)
    display_words = sum(len(WORD.findall(m)) for m in DISPLAY.findall(prose_text))
    prose_text = DISPLAY.sub(" ", prose_text)
    exercise_words = sum(len(WORD.findall(m)) for m in EXERCISE.findall(prose_text))
    prose_text = EXERCISE.sub(" ", prose_text)
    prose = len(WORD.findall(prose_text))
    total = prose + code_words + display_words
    return {
        "prose": prose,
        "total": total,
        "share": prose / total if total else 0.0,
        "blocks": len(blocks),
        "median": statistics.median(blocks) if blocks else 0,
        "longest": max(blocks, default=0),
        "figures": len(IMAGE.findall(text)),
        "exercise_words": exercise_words,
    }


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or [ROOT / "docs" / name for name in TEACHING]
    print(f"{'page':32} {'prose':>6} {'share':>6} {'blocks':>6} {'median':>6} {'longest':>7} {'figures':>7}")
    for path in paths:
        if not path.exists():
            print(f"{path.name:32} (missing)")
            continue
        s = shape(path.read_text(encoding="utf-8"))
        print(
            f"{path.name:32} {s['prose']:6d} {s['share']:6.0%} {s['blocks']:6d} {s['median']:6g} "
            f"{s['longest']:7d} {s['figures']:7d}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
