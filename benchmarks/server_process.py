"""The model server as a benchmark starts it: ``ner-pipeline serve`` in a subprocess."""

import pathlib
import socket
import subprocess
import sys
import time
from typing import List, Optional, Sequence

import requests


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(serving_dir: str, port: int, options: Sequence[str] = (),
                 command: Optional[List[str]] = None) -> subprocess.Popen:
    """``ner-pipeline serve`` (or ``command``, given the same arguments) on 127.0.0.1,
    returned once it answers a status request."""
    command = command or [str(pathlib.Path(sys.executable).with_name("ner-pipeline"))]
    server = subprocess.Popen(
        [*command, "serve", "--model-dir", serving_dir, "--port", str(port), *options],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/v1/models/ner", timeout=5).ok:
                return server
        except requests.ConnectionError:
            time.sleep(0.5)
    server.kill()
    raise RuntimeError(f"the server ({' '.join(options) or 'default options'}) did not come up")
