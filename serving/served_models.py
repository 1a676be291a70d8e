"""The models the server answers for: one ModelStore per model, and their version labels.

Served from ``--model-dir`` this is one model without labels. Served from a
``--model_config_file`` it is every model of the file, and with a poll wait
the file is re-read while serving, as TF Serving does: an edit that changes a
label, a policy or the list of models is applied without a restart (that is
how a rollback is done: point ``stable`` back at the previous version), and
an edit that cannot be applied (a syntax error, a label on a version not
loaded) is logged and the previous config stays in force. A failed edit is
tried again at every poll, since a version it labels may have loaded since.
"""

import dataclasses
import logging
import os
import threading
from typing import Any, Callable, Dict, List, Optional, Set, Tuple, Union

from serving import model_config, version_labels
from serving.model_config import ConfigError, ModelEntry
from serving.model_store import ModelStore, VersionState, servable_not_found, versions_not_found
from serving.version_labels import VersionLabel
from serving.version_policy import Specific, VersionPolicy

log = logging.getLogger(__name__)

Version = Union[None, int, VersionLabel]  # the newest, a number, or a label
_UNSERVED = Specific(frozenset())  # the policy of a model taken out of the config


@dataclasses.dataclass(frozen=True)
class ConfigFile:
    path: str
    poll_seconds: float = 0.0  # 0: read once at start-up (TF Serving's default)
    allow_unavailable_labels: bool = False  # --allow_version_labels_for_unavailable_models


class ServedModels:
    def __init__(self, stores: Dict[str, ModelStore],
                 load: Optional[Callable[[str, int], Any]] = None,
                 config_file: Optional[ConfigFile] = None):
        self._stores = dict(stores)
        self._labels: version_labels.Labels = {}
        self._load = load
        self._config_file = config_file
        self._lock = threading.Lock()
        self._applied_text: Optional[str] = None
        self._last_error: Optional[Tuple[str, str]] = None
        self._poll_seconds: Optional[float] = None  # set once polling has started
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    @classmethod
    def from_config_file(cls, config_file: ConfigFile,
                         load: Callable[[str, int], Any]) -> "ServedModels":
        """The models of the file; ConfigError (one line) if it cannot be served."""
        models = cls({}, load, config_file)
        models.reload(at_start=True)
        for store in models._store_list():
            if not os.path.isdir(store.base_path):
                raise ConfigError(f"{config_file.path}: model {store.name}: base_path "
                                  f"{store.base_path} is not a directory")
        return models

    def servable(self, name: str, version: Version = None) -> Any:
        with self._lock:
            store, labels = self._stores.get(name), self._labels
        if isinstance(version, VersionLabel):
            version = version_labels.resolve(labels, name, version)
        if store is None:
            raise servable_not_found(name, version)
        return store.servable(name, version)

    def states(self, name: str, version: Version = None) -> List[Tuple[int, VersionState]]:
        """A label asks for every version: TF Serving's status API reads only a number."""
        if isinstance(version, VersionLabel):
            version = None
        with self._lock:
            store = self._stores.get(name)
        if store is None:
            raise versions_not_found(name, version)
        return store.states(name, version)

    def load_seconds(self) -> Dict[Tuple[str, int], float]:
        """(model, version) -> how long its load took, for every loaded version (metrics)."""
        return {(store.name, version): seconds for store in self._store_list()
                for version, seconds in store.load_seconds().items()}

    def poll(self, wait_for_settled_files: bool = True) -> None:
        for store in self._store_list():
            store.poll(wait_for_settled_files)

    def start_polling(self, seconds: float) -> None:
        self._poll_seconds = seconds
        for store in self._store_list():
            store.start_polling(seconds)
        if self._config_file is not None and self._config_file.poll_seconds > 0:
            self._stop.clear()
            self._thread = threading.Thread(target=self._watch, name="poll-model-config",
                                            daemon=True)
            self._thread.start()

    def stop_polling(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        for store in self._store_list():
            store.stop_polling()

    def reload(self, at_start: bool = False) -> None:
        """Applies the config file if it changed (or its last try failed). A file that
        cannot be applied raises at start-up; later it is logged, once per content."""
        path, text = self._config_file.path, None
        try:
            text = model_config.read_text(path)
            if text == self._applied_text:
                return
            self._apply(model_config.entries(model_config.parse(text, path), path), at_start)
        except ConfigError as error:
            if at_start:
                raise
            if self._last_error != (text, str(error)):
                log.error("Keeping the previous model config: %s", error)
                self._last_error = (text, str(error))
            return
        self._applied_text, self._last_error = text, None

    def _apply(self, entries: List[ModelEntry], at_start: bool) -> None:
        """TF Serving's order: labels first (checked against what is loaded now), then models."""
        config_file = self._config_file
        labels = version_labels.checked(entries, self._labels, self._available,
                                        config_file.allow_unavailable_labels, config_file.path,
                                        at_start)
        with self._lock:
            self._labels = labels
        for entry in entries:
            self._configure(entry.name, entry.base_path, entry.policy)
        for name in set(self._stores) - {entry.name for entry in entries}:
            self._configure(name, self._stores[name].base_path, _UNSERVED)
        log.info("Model config %s applied: %s", config_file.path,
                 "; ".join(_describe(entry, labels.get(entry.name, {})) for entry in entries))

    def _configure(self, name: str, base_path: str, policy: VersionPolicy) -> None:
        store = self._stores.get(name)
        if store is not None and (store.base_path, store.policy) == (base_path, policy):
            return
        if store is None:
            store = ModelStore(base_path, name, self._load)
        store.reconfigure(base_path, policy)
        if self._poll_seconds is not None:  # serving already: a new model is loaded now
            store.poll(wait_for_settled_files=name in self._stores)
            if name not in self._stores:
                store.start_polling(self._poll_seconds)
        with self._lock:
            self._stores[name] = store

    def _available(self, name: str) -> Set[int]:
        store = self._stores.get(name)
        return store.available_versions() if store is not None else set()

    def _store_list(self) -> List[ModelStore]:
        with self._lock:
            return list(self._stores.values())

    def _watch(self) -> None:
        while not self._stop.wait(self._config_file.poll_seconds):
            try:
                self.reload()
            except Exception:  # pylint: disable=broad-except
                log.exception("Reloading %s failed; trying again", self._config_file.path)


def _describe(entry: ModelEntry, labels: Dict[str, int]) -> str:
    text = f"{entry.name} from {entry.base_path}, versions {entry.policy}"
    return text + "".join(f", {label}={version}" for label, version in sorted(labels.items()))
