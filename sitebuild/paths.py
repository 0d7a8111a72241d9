"""Where the build steps read and write: the repository's folders."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
NODE_MODULES = ROOT / "node_modules"
# Not in .cache/: `zensical build --clean` empties that folder (it is Zensical's cache).
WHEEL_CACHE = ROOT / ".wheels"
