"""Paths that may be local or URLs (gs://, s3://, hdfs://...): URLs are never
touched by pathlib, which would collapse ``gs://b/x`` into ``gs:/b/x`` and
resolve it against the working directory."""

import pathlib
import re

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(path: str) -> bool:
    return bool(_URL.match(str(path)))


def absolute(path: str) -> str:
    """A local path made absolute (symlinks resolved); a URL unchanged."""
    return str(path) if is_url(path) else str(pathlib.Path(path).expanduser().resolve())
