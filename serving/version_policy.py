"""Which versions of a model to serve: TF Serving's ServableVersionPolicy.

``latest { num_versions: N }`` keeps the N highest versions (N = 1 when unset
or 0, TF Serving's default), ``all {}`` every version, ``specific { versions:
... }`` the listed ones. ``select`` is applied by ModelStore both to the
versions on disk (what to load) and to the versions it holds (what to keep).
The short form ``latest:2``, ``all``, ``specific:3,4`` is what
``ner-pipeline model-config --policy`` takes and what messages show.
"""

import dataclasses
from typing import FrozenSet, Iterable, Set, Union

from tensorflow_serving.config import file_system_storage_path_source_pb2

PolicyProto = (file_system_storage_path_source_pb2.FileSystemStoragePathSourceConfig
               .ServableVersionPolicy)


@dataclasses.dataclass(frozen=True)
class Latest:
    num_versions: int = 1

    def select(self, versions: Iterable[int]) -> Set[int]:
        return set(sorted(versions, reverse=True)[:self.num_versions])

    def __str__(self) -> str:
        return f"latest:{self.num_versions}"


@dataclasses.dataclass(frozen=True)
class All:
    def select(self, versions: Iterable[int]) -> Set[int]:
        return set(versions)

    def __str__(self) -> str:
        return "all"


@dataclasses.dataclass(frozen=True)
class Specific:
    versions: FrozenSet[int]

    def select(self, versions: Iterable[int]) -> Set[int]:
        return set(versions) & self.versions

    def __str__(self) -> str:
        return "specific:" + ",".join(str(version) for version in sorted(self.versions))


VersionPolicy = Union[Latest, All, Specific]


def from_proto(policy: PolicyProto) -> VersionPolicy:
    choice = policy.WhichOneof("policy_choice")
    if choice == "all":
        return All()
    if choice == "specific":
        return Specific(frozenset(policy.specific.versions))
    return Latest(max(policy.latest.num_versions, 1))  # unset: TF Serving's default


def to_proto(policy: VersionPolicy, proto: PolicyProto) -> None:
    proto.Clear()
    if isinstance(policy, All):
        proto.all.SetInParent()
    elif isinstance(policy, Specific):
        proto.specific.versions.extend(sorted(policy.versions))
    else:
        proto.latest.num_versions = policy.num_versions


def parse(text: str) -> VersionPolicy:
    """``latest:N``, ``all`` or ``specific:V,V,...``; ValueError naming what is wrong."""
    kind, _, values = text.partition(":")
    if kind == "all" and not values:
        return All()
    if kind == "latest" and values.isascii() and values.isdigit() and int(values) >= 1:
        return Latest(int(values))
    if kind == "specific" and values:
        numbers = values.split(",")
        if all(number.isascii() and number.isdigit() for number in numbers):
            return Specific(frozenset(int(number) for number in numbers))
    raise ValueError(f"{text!r} is not latest:N (N >= 1), all or specific:V[,V...] "
                     "(version numbers)")
