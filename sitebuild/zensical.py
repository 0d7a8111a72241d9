"""Zensical's configuration: mkdocs.yml with its own output folder.

``zensical build`` has no option for the output folder, so ``python -m sitebuild
zensical-config`` writes ``.zensical.yml`` (git-ignored, beside mkdocs.yml so every relative
path in it means the same) with ``site_dir: site-zensical`` and the rest of mkdocs.yml as it is.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .paths import ROOT

SOURCE = ROOT / "mkdocs.yml"
TARGET = ROOT / ".zensical.yml"
SITE = "site-zensical"


def write(source: Path = SOURCE, target: Path = TARGET, site_dir: str = SITE) -> Path:
    config = yaml.safe_load(source.read_text(encoding="utf-8"))
    config["site_dir"] = site_dir
    header = f"# Written by `python -m sitebuild zensical-config` from {source.name}; do not edit.\n"
    target.write_text(header + yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return target
