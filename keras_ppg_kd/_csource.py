"""Copy the package's plain-C sources into a user's folder."""

import pathlib

_ROOT = pathlib.Path(__file__).parent


def copy_sources(paths, directory):
    """Copy package files (paths relative to the package) into a folder.

    Returns:
        The paths written, in the order given.
    """
    out = pathlib.Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        source = _ROOT / path
        target = out / source.name
        target.write_text(source.read_text())
        written.append(target)
    return written
