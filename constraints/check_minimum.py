"""Check that the environment runs every declared dependency at its lower bound.

Run by ``make test-min`` with the minimum environment's Python, after installing nnspec with
``-c constraints/minimum.txt``: for every requirement nnspec declares (its dependencies and the
``docs`` and ``test`` extras, read from the installed metadata, i.e. from pyproject.toml), the
installed version must equal the requirement's lower bound (``>=`` or ``==``). A bound raised in
pyproject.toml but not in constraints/minimum.txt, or the reverse, fails here rather than
leaving an untested bound. Prints one line per requirement; exit status 1 on a mismatch.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata

EXTRAS = {"docs", "test"}
REQUIREMENT = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?P<spec>[^;]*)(?:;(?P<marker>.*))?$"
)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def release(version: str) -> tuple[int, ...]:
    """'1.6' and '1.6.0' compare equal; pre/post-release tails are not used in our bounds."""
    parts = [int(part) for part in re.match(r"\d+(?:\.\d+)*", version).group(0).split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def main() -> int:
    mismatches = 0
    rows = []
    for line in metadata.requires("nnspec") or []:
        match = REQUIREMENT.match(line)
        name, spec, marker = match.group("name"), match.group("spec"), match.group("marker") or ""
        extra = re.search(r"""extra\s*==\s*["']([^"']+)["']""", marker)
        if extra and extra.group(1) not in EXTRAS:
            continue
        if canonical(name) == "nnspec":  # nnspec[docs] inside the test extra
            continue
        bound = re.search(r"(?:>=|==)\s*([0-9][^,\s]*)", spec)
        if bound is None:
            rows.append((name, spec or "(none)", "-", "no lower bound declared"))
            mismatches += 1
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        same = installed != "missing" and release(installed) == release(bound.group(1))
        rows.append((name, spec.strip(), installed, "ok" if same else "NOT the lower bound"))
        mismatches += not same
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
