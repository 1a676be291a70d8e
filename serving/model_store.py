"""The versions of one model the server holds, kept in step with the model's base directory.

TF Serving's layout: ``<base>/<version>/saved_model.pb`` with an integer
version. ``poll()`` (run by a background thread every few seconds, as TF
Serving's file system source polls) keeps the newest ``num_versions``
versions loaded. A new version is loaded beside the current ones and only
then are older ones dropped, so requests never find the model missing (TF
Serving's availability-preserving policy). A version whose files are still
changing is left for the next poll, since the Pusher copies file by file; a
version that fails to load is retried only once its files change, and does
not push out a working older version.

Request threads read the held versions under a lock; ``poll()`` is meant to be
called by one thread at a time.
"""

import dataclasses
import logging
import os
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

from serving.errors import not_found

log = logging.getLogger(__name__)

SAVED_MODEL_FILE = "saved_model.pb"
Fingerprint = Optional[Tuple[Tuple[str, int, int], ...]]


@dataclasses.dataclass(frozen=True)
class VersionState:
    """A version's state and health, as in TF Serving's ModelVersionStatus."""

    state: str  # LOADING, AVAILABLE or END
    error_code: str = "OK"
    error_message: str = ""


class ModelStore:
    def __init__(self, base_path: str, name: str, load: Callable[[str, int], Any],
                 num_versions: int = 1):
        self.base_path = base_path
        self.name = name
        self._load = load
        self._num_versions = num_versions
        self._lock = threading.Lock()
        self._servables: Dict[int, Any] = {}
        self._states: Dict[int, VersionState] = {}
        self._failed: Dict[int, Fingerprint] = {}  # version -> files it failed to load from
        self._last_seen: Dict[int, Fingerprint] = {}  # files of unloaded versions at last poll
        self._scan_error: Optional[str] = None
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def servable(self, name: str, version: Optional[int] = None) -> Any:
        """The newest loaded version, or the given one; TF Serving's 404 otherwise."""
        with self._lock:
            if name == self.name:
                if version is None and self._servables:
                    return self._servables[max(self._servables)]
                if version in self._servables:
                    return self._servables[version]
        request = f"Latest({name})" if version is None else f"Specific({name}, {version})"
        raise not_found(f"Servable not found for request: {request}")

    def states(self, name: str, version: Optional[int] = None) -> List[Tuple[int, VersionState]]:
        """Every version seen (newest first), or the given one; TF Serving's 404 otherwise."""
        with self._lock:
            states = dict(self._states) if name == self.name else {}
        if version is None:
            if not states:
                raise not_found(f"Could not find any versions of model {name}")
            return sorted(states.items(), reverse=True)
        if version not in states:
            raise not_found(f"Could not find version {version} of model {name}")
        return [(version, states[version])]

    def poll(self, wait_for_settled_files: bool = True) -> None:
        """Loads wanted versions, then unloads versions gone from disk or beyond the newest N."""
        on_disk = self._scan()
        if on_disk is None:
            return
        for version, path, files in self._versions_to_load(on_disk, wait_for_settled_files):
            self._load_version(version, path, files)
        with self._lock:
            kept = sorted((v for v in self._servables if v in on_disk), reverse=True)
            for version in set(self._servables) - set(kept[:self._num_versions]):
                del self._servables[version]
                self._states[version] = VersionState("END")
                log.info("Unloaded version %d of model %s", version, self.name)

    def start_polling(self, seconds: float) -> None:
        def run():
            while not self._stop.wait(seconds):
                try:
                    self.poll()
                except Exception:  # pylint: disable=broad-except
                    log.exception("Polling %s failed; trying again in %s s", self.base_path,
                                  seconds)

        self._stop.clear()
        self._thread = threading.Thread(target=run, name=f"poll-{self.name}", daemon=True)
        self._thread.start()

    def stop_polling(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)  # a load in progress finishes first

    def _scan(self) -> Optional[Dict[int, str]]:
        """Version -> directory; None when the base directory cannot be read (keep what is held)."""
        try:
            names = os.listdir(self.base_path)
        except OSError as error:
            if str(error) != self._scan_error:
                log.warning("Cannot list model versions: %s", error)
            self._scan_error = str(error)
            return None
        self._scan_error = None
        versions = {}
        for name in names:
            path = os.path.join(self.base_path, name)
            if name.isascii() and name.isdigit() and os.path.isfile(
                    os.path.join(path, SAVED_MODEL_FILE)):
                versions[int(name)] = path
        return versions

    def _versions_to_load(self, on_disk: Dict[int, str], wait_for_settled_files: bool):
        with self._lock:
            loaded = set(self._servables)
        wanted = []
        for version in sorted(on_disk, reverse=True):
            if len(wanted) == self._num_versions:
                break
            if version in loaded:
                wanted.append(version)
                continue
            files = _fingerprint(on_disk[version])
            if version in self._failed and self._failed[version] == files:
                continue  # broken as before: keep serving older versions
            wanted.append(version)
            settled = self._last_seen.get(version) == files
            self._last_seen[version] = files
            if settled or not wait_for_settled_files:
                yield version, on_disk[version], files

    def _load_version(self, version: int, path: str, files: Fingerprint) -> None:
        with self._lock:
            self._states[version] = VersionState("LOADING")
        log.info("Loading version %d of model %s from %s", version, self.name, path)
        try:
            servable = self._load(path, version)
        except Exception as error:  # pylint: disable=broad-except
            log.error("Version %d of model %s failed to load: %s", version, self.name, error)
            with self._lock:
                self._failed[version] = files
                self._states[version] = VersionState("END", "UNKNOWN", str(error))
            return
        with self._lock:
            self._servables[version] = servable
            self._states[version] = VersionState("AVAILABLE")
            self._failed.pop(version, None)
        self._last_seen.pop(version, None)
        log.info("Version %d of model %s is available", version, self.name)


def _fingerprint(path: str) -> Fingerprint:
    """Name, size and modification time of every file under ``path``; None if unreadable."""
    entries = []
    try:
        for root, _, files in os.walk(path):
            for name in files:
                full = os.path.join(root, name)
                stat = os.stat(full)
                entries.append((os.path.relpath(full, path), stat.st_size, stat.st_mtime_ns))
    except OSError:
        return None
    return tuple(sorted(entries))
