"""The entity inventory: which entity types a model knows, taken from the data.

Ingestion decides the inventory (the types of the training split, or the
ones ``--labels`` declares) and writes it beside the examples as
INVENTORY_FILE; the schema, Transform, the Trainer, the Evaluator and the
exported model all read it from there, so no stage names a type in code.
An exported model tells its own through the serve_inventory signature.

Label ids follow one layout everywhere: 0 is ``O``, then ``B-`` and ``I-``
of each type in inventory order (IOB2, the internal tagging scheme).
"""

import dataclasses
import json
import os
import re
from typing import Dict, Iterable, Tuple

from contracts.signatures import ENTITY_TYPES, INPUT_OF, SERVE_INVENTORY

OUTSIDE = "O"
INTERNAL_SCHEME = "IOB2"
INVENTORY_FILE = "entity_inventory.json"
# Key of Transform's custom_config that hands preprocessing_fn the labels in id order.
INVENTORY_LABELS_KEY = "labels"
_WHITE_SPACE = re.compile(r"\s")


class InventoryError(ValueError):
    """An entity type name or inventory that cannot be used."""


def check_type_name(name: str) -> str:
    """Type names are any non-empty string without white space (case, hyphens
    and non-ASCII letters are kept as written)."""
    if not name or _WHITE_SPACE.search(name):
        raise InventoryError(f"has entity type {name!r}: a type must be non-empty and "
                             f"without white space")
    return name


def parse_type_list(text: str) -> Tuple[str, ...]:
    """``--labels PER,ORG,...`` as a tuple; refuses empty names and repeats."""
    types = tuple(name.strip() for name in text.split(","))
    for name in types:
        check_type_name(name)
    repeated = sorted({name for name in types if types.count(name) > 1})
    if repeated:
        raise InventoryError(f"lists entity type(s) twice: {', '.join(repeated)}")
    return types


@dataclasses.dataclass(frozen=True)
class EntityInventory:
    """Entity types in label-id order, and the scheme the source data was in."""

    types: Tuple[str, ...]
    source_scheme: str = INTERNAL_SCHEME

    def __post_init__(self):
        for name in self.types:
            check_type_name(name)

    @classmethod
    def from_types(cls, types: Iterable[str], source_scheme: str = INTERNAL_SCHEME
                   ) -> "EntityInventory":
        """The inventory of types seen in data: sorted by code point, so the
        same data gives the same label ids whatever order it was read in."""
        return cls(tuple(sorted(set(types))), source_scheme)

    @property
    def labels(self) -> Tuple[str, ...]:
        return (OUTSIDE,) + tuple(f"{prefix}-{name}" for name in self.types
                                  for prefix in ("B", "I"))

    @property
    def label_to_id(self) -> Dict[str, int]:
        return {label: index for index, label in enumerate(self.labels)}

    def to_json(self) -> str:
        return json.dumps({"types": list(self.types), "labels": list(self.labels),
                           "scheme": INTERNAL_SCHEME, "source_scheme": self.source_scheme},
                          indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "EntityInventory":
        value = json.loads(text)
        return cls(tuple(value["types"]), value.get("source_scheme", INTERNAL_SCHEME))


def write_inventory(inventory: EntityInventory, directory: str) -> None:
    """Writes INVENTORY_FILE into ``directory`` (any tf.io.gfile URL)."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel  # keeps contracts light
    with tf.io.gfile.GFile(os.path.join(directory, INVENTORY_FILE), "w") as handle:
        handle.write(inventory.to_json())


def read_inventory(directory: str) -> EntityInventory:
    """The inventory written into ``directory``; names the file when it is missing."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    path = os.path.join(directory, INVENTORY_FILE)
    if not tf.io.gfile.exists(path):
        raise InventoryError(f"{path} is missing: the artifact was made without an inventory")
    with tf.io.gfile.GFile(path) as handle:
        return EntityInventory.from_json(handle.read())


def served_inventory(loaded) -> EntityInventory:
    """The entity inventory of a loaded export (tf.saved_model.load), asked through
    serve_inventory: how clients of the export learn what it tags."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    answer = loaded.signatures[SERVE_INVENTORY](**{INPUT_OF[SERVE_INVENTORY]: tf.constant([""])})
    return EntityInventory(tuple(value.decode("utf-8")
                                 for value in answer[ENTITY_TYPES][0].numpy()))
