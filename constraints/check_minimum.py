"""Check that the environment runs every declared dependency at its lower bound.

Run by ``make test-min`` with the minimum environment's Python, after installing nnspec with
``-c constraints/minimum.txt``: for every requirement nnspec declares (its dependencies and the
``docs`` and ``test`` extras, read from the installed metadata, i.e. from pyproject.toml), the
installed version must equal the requirement's lower bound (``>=`` or ``==``). A bound raised in
pyproject.toml but not in constraints/minimum.txt, or the reverse, fails here rather than
leaving an untested bound. Requirements, markers and versions are read by ``packaging``.
Prints one line per requirement; exit status 1 on a mismatch.
"""

from __future__ import annotations

import sys
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

EXTRAS = ("docs", "test")


def applies(requirement: Requirement) -> bool:
    """Whether a requirement of nnspec is one of its dependencies or of the checked extras."""
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in EXTRAS)


def lower_bound(requirement: Requirement) -> Version | None:
    """The version a ``>=`` or ``==`` specifier names (the highest, if several do)."""
    bounds = [Version(spec.version) for spec in requirement.specifier if spec.operator in (">=", "==")]
    return max(bounds, default=None)


def check(lines: list[str], installed) -> tuple[list[tuple[str, str, str, str]], int]:
    """Rows (name, specifier, installed version, verdict) and the number of mismatches.

    ``installed(name)`` returns a version string or raises ``metadata.PackageNotFoundError``.
    """
    rows, mismatches = [], 0
    for line in lines:
        requirement = Requirement(line)
        if not applies(requirement) or canonicalize_name(requirement.name) == "nnspec":
            continue  # another extra, or nnspec[docs] inside the test extra
        spec = str(requirement.specifier) or "(none)"
        bound = lower_bound(requirement)
        if bound is None:
            rows.append((requirement.name, spec, "-", "no lower bound declared"))
            mismatches += 1
            continue
        try:
            version = installed(requirement.name)
        except metadata.PackageNotFoundError:
            version = "missing"
        # Version("1.6") == Version("1.6.0"): trailing zeros do not make a different release
        same = version != "missing" and Version(version) == bound
        rows.append((requirement.name, spec, version, "ok" if same else "NOT the lower bound"))
        mismatches += not same
    return rows, mismatches


def main() -> int:
    rows, mismatches = check(metadata.requires("nnspec") or [], metadata.version)
    width = max(len(row[0]) for row in rows)
    for name, spec, installed, verdict in rows:
        print(f"{name:<{width}}  {spec:<14}  installed {installed:<10}  {verdict}")
    if mismatches:
        print(
            f"{mismatches} requirement(s) not tested at their lower bound: make "
            "constraints/minimum.txt pin each to the bound in pyproject.toml",
            file=sys.stderr,
        )
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
