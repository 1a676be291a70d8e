"""The versions of one model the server holds, kept in step with the model's base directory.

TF Serving's layout: ``<base>/<version>/saved_model.pb`` with an integer
version. ``poll()`` (run by a background thread every few seconds, as TF
Serving's file system source polls) keeps the versions its version policy
selects loaded (by default the newest ``num_versions``). A new version is
loaded beside the current ones and only then are older ones dropped, so
requests never find the model missing (TF Serving's availability-preserving
policy). A version whose files are still changing is left for the next poll,
since the Pusher copies file by file; a version that fails to load is retried
only once its files change, and does not push out a working older version.

Request threads read the held versions under a lock; polls take turns, so the
config file's watcher may poll right after ``reconfigure``.
"""

import dataclasses
import logging
import os
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from serving import version_policy
from serving.errors import not_found
from serving.version_policy import VersionPolicy

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
        self.policy: VersionPolicy = version_policy.Latest(num_versions)
        self._lock = threading.Lock()
        self._poll_lock = threading.Lock()
        self._servables: Dict[int, Any] = {}
        self._load_seconds: Dict[int, float] = {}  # version -> its last load's duration
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
        raise servable_not_found(name, version)

    def states(self, name: str, version: Optional[int] = None) -> List[Tuple[int, VersionState]]:
        """Every version seen (newest first), or the given one; TF Serving's 404 otherwise."""
        with self._lock:
            states = dict(self._states) if name == self.name else {}
        if (not states) if version is None else (version not in states):
            raise versions_not_found(name, version)
        if version is None:
            return sorted(states.items(), reverse=True)
        return [(version, states[version])]

    def available_versions(self) -> Set[int]:
        with self._lock:
            return set(self._servables)

    def load_seconds(self) -> Dict[int, float]:
        """How long each loaded version took to load (serving/metrics.py)."""
        with self._lock:
            return {version: self._load_seconds[version] for version in self._servables}

    def reconfigure(self, base_path: str, policy: VersionPolicy) -> None:
        """A new base directory or version policy, applied from the next poll on."""
        with self._poll_lock:
            if base_path != self.base_path:
                self._failed.clear()
                self._last_seen.clear()
                self._scan_error = None
            self.base_path, self.policy = base_path, policy

    def poll(self, wait_for_settled_files: bool = True) -> None:
        """Loads the versions the policy wants, then unloads the others, keeping the
        newest held one while none of the wanted versions is loaded yet."""
        with self._poll_lock:
            on_disk = self._scan()
            if on_disk is None:
                return
            wanted = self._wanted(on_disk)
            for version in sorted(wanted, reverse=True):
                self._load_if_settled(version, on_disk[version], wait_for_settled_files)
            with self._lock:
                held = set(self._servables)
                kept = self.policy.select(held & set(on_disk))
                if not kept and wanted and held:
                    kept = {max(held)}
                for version in held - kept:
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

    def _wanted(self, on_disk: Dict[int, str]) -> Set[int]:
        """The policy's choice among the versions on disk, leaving out those that failed
        to load from the files they still have (so an older version takes their place)."""
        with self._lock:
            held = set(self._servables)
        broken = {version for version, files in self._failed.items()
                  if version in on_disk and version not in held
                  and _fingerprint(on_disk[version]) == files}
        return self.policy.select(set(on_disk) - broken)

    def _load_if_settled(self, version: int, path: str, wait_for_settled_files: bool) -> None:
        with self._lock:
            if version in self._servables:
                return
        files = _fingerprint(path)
        settled = self._last_seen.get(version) == files
        self._last_seen[version] = files
        if settled or not wait_for_settled_files:
            self._load_version(version, path, files)

    def _load_version(self, version: int, path: str, files: Fingerprint) -> None:
        with self._lock:
            self._states[version] = VersionState("LOADING")
        log.info("Loading version %d of model %s from %s", version, self.name, path)
        start = time.monotonic()
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
            self._load_seconds[version] = time.monotonic() - start
            self._states[version] = VersionState("AVAILABLE")
            self._failed.pop(version, None)
        self._last_seen.pop(version, None)
        log.info("Version %d of model %s is available", version, self.name)


def servable_not_found(name: str, version: Optional[int]) -> Exception:
    """TF Serving's 404 for a model or version that is not loaded (predict, metadata)."""
    request = f"Latest({name})" if version is None else f"Specific({name}, {version})"
    return not_found(f"Servable not found for request: {request}")


def versions_not_found(name: str, version: Optional[int]) -> Exception:
    """TF Serving's 404 for a model or version the status API has never seen."""
    if version is None:
        return not_found(f"Could not find any versions of model {name}")
    return not_found(f"Could not find version {version} of model {name}")


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
