"""``python -m nnspec``: the command line of `cli`."""

from nnspec.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
