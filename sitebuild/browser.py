"""Find the Chromium or Chrome the browser tests drive (standard library only).

One search, used by ``.ci/run`` (``python3 sitebuild/browser.py`` prints the path, or exits
with status 1 and says what it looked for) and by the tests (``tests/site.py``): the
executable ``$NNSPEC_CHROMIUM`` names, else the first of ``chromium``, ``chromium-browser``,
``google-chrome``, ``google-chrome-stable`` on the ``PATH``, else the macOS app bundles.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
MACOS_BUNDLES = (
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)
LOOKED_FOR = (
    "NNSPEC_CHROMIUM, then chromium, chromium-browser or google-chrome on PATH, then macOS's app bundle"
)


def find_chromium(environ=os.environ) -> Path | None:
    """The browser's executable, or None; a ``$NNSPEC_CHROMIUM`` that is not one gives None."""
    chosen = environ.get("NNSPEC_CHROMIUM")
    if chosen:
        path = Path(chosen)
        return path if path.is_file() and os.access(path, os.X_OK) else None
    for name in NAMES:
        found = shutil.which(name, path=environ.get("PATH"))
        if found:
            return Path(found)
    return next((Path(bundle) for bundle in MACOS_BUNDLES if Path(bundle).is_file()), None)


def main() -> int:
    found = find_chromium()
    if found is None:
        print(f"no Chromium or Chrome found (looked for {LOOKED_FOR})", file=sys.stderr)
        return 1
    print(found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
