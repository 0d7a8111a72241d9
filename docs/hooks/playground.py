"""MkDocs hook: ship the playground's Python runtime and the math font inside the built site.

Everything the playground page needs is served by the site itself, so no request leaves it:

* ``pyodide/`` — Pyodide's core (``pyodide.mjs``, ``pyodide.asm.mjs``, ``pyodide.asm.wasm``,
  ``python_stdlib.zip``) from the npm package ``pyodide`` that ``npm ci`` installed into
  ``node_modules/`` (pinned in package.json and package-lock.json);
* ``pyodide/pyodide-lock.json`` — Pyodide's lock file cut down to its ``info``: the original
  lists some 350 packages that live on Pyodide's CDN, and with none listed no package can be
  looked up by name, only loaded from the site by URL;
* ``pyodide/*.whl`` — the pure-Python wheels of sympy and mpmath pinned in
  ``playground-wheels.txt`` (``make install`` downloads them from PyPI into ``.cache/wheels``),
  and a wheel of ``nnspec`` written here from the checkout, so the page runs the code of the
  commit it was built from;
* ``pyodide/playground.json`` — the wheel file names, for the Web Worker to load;
* ``fonts/`` — the OpenType math font STIX Two Math (npm ``@fontsource/stix-two-math``) and its
  licence; ``stylesheets/nnspec.css`` applies it to every ``math`` element.

A missing input fails the build with the command that provides it.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import json
import re
import zipfile
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"
WHEEL_CACHE = ROOT / ".cache" / "wheels"
PINS = Path(__file__).with_name("playground-wheels.txt")
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip")
FONT = NODE_MODULES / "@fontsource" / "stix-two-math"
FONT_FILES = {
    "fonts/stix-two-math.woff2": FONT / "files" / "stix-two-math-latin-400-normal.woff2",
    "fonts/stix-two-math-LICENSE.txt": FONT / "LICENSE",
}
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([A-Za-z0-9_.+!-]+)", re.MULTILINE)
# A fixed timestamp makes the nnspec wheel byte-identical for identical sources.
EPOCH = (1980, 1, 1, 0, 0, 0)


def _need(path: Path, remedy: str) -> Path:
    if not path.is_file():
        raise PluginError(f"playground: {path.relative_to(ROOT)} is missing; {remedy}")
    return path


def pinned_wheels() -> list[Path]:
    """The downloaded wheel of every pin in playground-wheels.txt, in file order."""
    wheels = []
    for name, version in PIN.findall(PINS.read_text(encoding="utf-8")):
        wheel = WHEEL_CACHE / f"{name}-{version}-py3-none-any.whl"
        wheels.append(_need(wheel, "run `make install` (it downloads the pinned wheels)"))
    return wheels


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
        b"Wheel-Version: 1.0\nGenerator: nnspec docs/hooks/playground.py\n"
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
    source = _need(NODE_MODULES / "pyodide" / "pyodide-lock.json", "run `npm ci` (make install does)")
    info = json.loads(source.read_text(encoding="utf-8"))["info"]
    return json.dumps({"info": info, "packages": {}}, indent=1)


def on_files(files, config):
    def add(uri: str, *, path: Path | None = None, content: str | bytes | None = None):
        files.append(File.generated(config, uri, abs_src_path=str(path) if path else None, content=content))

    remedy = "run `npm ci` (make install does)"
    for name in PYODIDE_FILES:
        add(f"pyodide/{name}", path=_need(NODE_MODULES / "pyodide" / name, remedy))
    add("pyodide/pyodide-lock.json", content=lock_file())
    wheels = [wheel.name for wheel in pinned_wheels()]
    for wheel in pinned_wheels():
        add(f"pyodide/{wheel.name}", path=wheel)
    own_name, own_bytes = nnspec_wheel()
    add(f"pyodide/{own_name}", content=own_bytes)
    add("pyodide/playground.json", content=json.dumps({"wheels": [*wheels, own_name]}, indent=1))
    for uri, path in FONT_FILES.items():
        add(uri, path=_need(path, remedy))
    return files
