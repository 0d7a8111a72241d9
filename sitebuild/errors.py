"""The one exception every build step raises: what failed, where, and what to do about it."""


class BuildError(Exception):
    """A build step could not produce what the site needs; the message names the file and the
    remedy. ``python -m sitebuild`` prints it on one line and exits with status 1."""
