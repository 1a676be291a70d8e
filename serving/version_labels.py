"""Version labels (``/v1/models/NAME/labels/LABEL``) as TF Serving resolves and assigns them.

A label names one version of one model; moving it in the config file moves
the traffic of every client that asks for it (canary, rollback). TF Serving's
rule for a new config (ServerCore::UpdateModelVersionLabelMap): a label may
only point at a version that is AVAILABLE now, so that no request for it ever
finds the version still loading. With
``--allow_version_labels_for_unavailable_models`` a label that is new, or
keeps its version, may point at a version not yet loaded; moving an existing
label still needs a loaded version.
"""

from typing import Callable, Dict, Iterable, Mapping, Optional, Set

from serving.errors import invalid_argument
from serving.model_config import ConfigError, ModelEntry

Labels = Mapping[str, Mapping[str, int]]  # model name -> label -> version


class VersionLabel(str):
    """A version asked for by label (a URL's ``/labels/{label}``), not by number."""


def resolve(labels: Labels, name: str, label: str) -> int:
    """The version a label points at; TF Serving's 400 for an unknown label or model."""
    version = labels.get(name, {}).get(label)
    if version is None:
        raise invalid_argument(f"Unrecognized servable version label: {label}")
    return version


def checked(models: Iterable[ModelEntry], current: Labels,
            available: Callable[[str], Set[int]], allow_unavailable: bool,
            path: str, at_start: bool = False) -> Dict[str, Dict[str, int]]:
    """The new label map, or ConfigError with TF Serving's message for the first bad label."""
    labels: Dict[str, Dict[str, int]] = {}
    for model in models:
        loaded = available(model.name)
        for label, version in sorted(model.labels.items()):
            previous: Optional[int] = current.get(model.name, {}).get(label)
            may_wait = allow_unavailable and previous in (None, version)
            if version not in loaded and not may_wait:
                hint = ("; at start-up no version is loaded yet: give "
                        "--allow_version_labels_for_unavailable_models" if at_start else "")
                raise ConfigError(
                    f"{path}: version_labels {label} of model {model.name}: Request to assign "
                    f"label to version {version} of model {model.name}, which is not "
                    f"currently available for inference{hint}")
            labels.setdefault(model.name, {})[label] = version
    return labels
