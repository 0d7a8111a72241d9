"""Build step after the generator: copy the playground's runtime and the math font into the site.

Everything the playground page needs is served by the site itself, so no request leaves it:

* ``pyodide/`` -- Pyodide's core (``pyodide.mjs``, ``pyodide.asm.mjs``, ``pyodide.asm.wasm``,
  ``python_stdlib.zip``) from the npm package ``pyodide`` that ``npm ci`` installed into
  ``node_modules/`` (pinned in package.json and package-lock.json);
* ``pyodide/pyodide-lock.json`` -- Pyodide's lock file cut down to its ``info``: the original
  lists some 350 packages that live on Pyodide's CDN; with none listed, no package can be
  looked up by name, only loaded from the site by URL;
* ``pyodide/*.whl`` -- the pure-Python wheels pinned in ``sitebuild/playground-wheels.txt``
  (``make install`` downloads them into ``.cache/wheels``) and a wheel of ``nnspec`` written
  here from the checkout, so the page runs the code of the commit it was built from;
* ``pyodide/playground.json`` -- the wheel file names, for the Web Worker to load;
* ``fonts/`` -- the OpenType math font STIX Two Math (npm ``@fontsource/stix-two-math``) and
  its licence; ``stylesheets/nnspec.css`` applies it to every ``math`` element.

A missing input fails the build with the command that provides it.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import json
import shutil
import zipfile
from pathlib import Path

from packaging.requirements import Requirement

from .errors import BuildError
from .paths import NODE_MODULES, ROOT, WHEEL_CACHE

PINS = Path(__file__).with_name("playground-wheels.txt")
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip")
FONT = NODE_MODULES / "@fontsource" / "stix-two-math"
FONT_FILES = {
    "fonts/stix-two-math.woff2": FONT / "files" / "stix-two-math-latin-400-normal.woff2",
    "fonts/stix-two-math-LICENSE.txt": FONT / "LICENSE",
}
NPM = "run `npm ci` (make install does)"
# A fixed timestamp makes the nnspec wheel byte-identical for identical sources.
EPOCH = (1980, 1, 1, 0, 0, 0)


def _need(path: Path, remedy: str) -> Path:
    if not path.is_file():
        raise BuildError(f"playground: {path.relative_to(ROOT)} is missing; {remedy}")
    return path


def pins(path: Path = PINS) -> dict[str, str]:
    """``{name: version}`` of every ``name==version`` line of the pins file, in file order."""
    pinned = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].split(" --hash", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        if specifier.operator != "==":
            raise BuildError(f"{path.name}: {line!r} is not pinned with ==")
        pinned[requirement.name] = specifier.version
    return pinned


def pinned_wheels() -> list[Path]:
    """The downloaded wheel of every pin, in file order."""
    return [
        _need(WHEEL_CACHE / f"{name}-{version}-py3-none-any.whl", "run `make install` (it downloads them)")
        for name, version in pins().items()
    ]


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def nnspec_wheel() -> tuple[str, bytes]:
    """A pure-Python wheel of the checkout's ``nnspec`` package: (file name, bytes)."""
    metadata = importlib.metadata.metadata("nnspec")
    name, version = metadata["Name"], metadata["Version"]
    dist_info = f"{name}-{version}.dist-info"
    requires = "".join(f"Requires-Dist: {line}\n" for line in metadata.get_all("Requires-Dist") or ())
    contents = {
        path.relative_to(ROOT).as_posix(): path.read_bytes()
        for path in sorted((ROOT / "nnspec").rglob("*.py"))
        if "__pycache__" not in path.parts
    }
    contents[f"{dist_info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {metadata['Summary']}\n{requires}"
    ).encode()
    contents[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: nnspec sitebuild/playground.py\n"
        b"Root-Is-Purelib: true\nTag: py3-none-any\n"
    )
    contents[f"{dist_info}/top_level.txt"] = b"nnspec\n"
    record = [f"{path},{_record_hash(data)},{len(data)}" for path, data in contents.items()]
    contents[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in contents.items():
            info = zipfile.ZipInfo(path, date_time=EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            wheel.writestr(info, data)
    return f"{name}-{version}-py3-none-any.whl", buffer.getvalue()


def lock_file() -> str:
    """Pyodide's lock file with its ``info`` (ABI and Python version) and no package."""
    source = _need(NODE_MODULES / "pyodide" / "pyodide-lock.json", NPM)
    info = json.loads(source.read_text(encoding="utf-8"))["info"]
    return json.dumps({"info": info, "packages": {}}, indent=1)


def build(site: Path) -> list[str]:
    """Write the playground's files and the font into the built ``site``; return their paths."""
    written: dict[str, Path | str | bytes] = {}
    for name in PYODIDE_FILES:
        written[f"pyodide/{name}"] = _need(NODE_MODULES / "pyodide" / name, NPM)
    written["pyodide/pyodide-lock.json"] = lock_file()
    wheels = pinned_wheels()
    for wheel in wheels:
        written[f"pyodide/{wheel.name}"] = wheel
    own_name, own_bytes = nnspec_wheel()
    written[f"pyodide/{own_name}"] = own_bytes
    manifest = {"wheels": [*(wheel.name for wheel in wheels), own_name]}
    written["pyodide/playground.json"] = json.dumps(manifest, indent=1)
    for uri, path in FONT_FILES.items():
        written[uri] = _need(path, NPM)
    for uri, source in written.items():
        target = site / uri
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, Path):
            shutil.copyfile(source, target)
        elif isinstance(source, bytes):
            target.write_bytes(source)
        else:
            target.write_text(source, encoding="utf-8")
    return sorted(written)
