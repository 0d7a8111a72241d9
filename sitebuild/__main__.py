"""``python -m sitebuild prepare | finish SITE | zensical-config | serve``: the build steps.

See the package docstring for what each step writes. A failed step prints one line (or a list
of problems) on stderr and exits with status 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import figures, finish, notebooks, zensical
from .errors import BuildError


def prepare() -> str:
    # The notebooks run in Jupyter kernels (other processes) while this one draws the figures.
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(notebooks.build)
        made = figures.build()
        pages = running.result()
    return f"{len(made)} figures, {len(pages)} notebook pages"


def finish_site(site: Path) -> str:
    pages, formulas, files = finish.run(site)
    return f"{pages} pages checked, {formulas} formulas typeset, {files} playground files"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sitebuild", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("prepare", help="figures and notebook pages into docs/ (before the generator)")
    finish_parser = commands.add_parser("finish", help="MathML, playground files, checks (after it)")
    finish_parser.add_argument("site", type=Path)
    commands.add_parser("zensical-config", help="write .zensical.yml (mkdocs.yml into site-zensical/)")
    serve_parser = commands.add_parser("serve", help="serve a built site, rebuilding it on change")
    serve_parser.add_argument("site", type=Path)
    serve_parser.add_argument("--port", type=int, default=8000)
    serve_parser.add_argument("--rebuild", default="make build", help="command run when a source changes")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        if args.command == "prepare":
            done = prepare()
        elif args.command == "finish":
            done = finish_site(args.site)
        elif args.command == "zensical-config":
            done = f"wrote {zensical.write().name}"
        else:
            from . import serve

            return serve.run(args.site, args.port, args.rebuild)
    except BuildError as error:
        print(f"sitebuild {args.command}: {error}", file=sys.stderr)
        return 1
    print(f"sitebuild {args.command}: {done} ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
