"""InventorySchemaGen: the curated schema, with the tag domain of this data's inventory.

The curated file (data/schema/schema.pbtxt) pins the feature layout: which
features exist, their types, presence and environments. Only the domain of
the NER tags depends on the data: it is generated from the entity inventory
that ConllExampleGen wrote beside the examples (contracts/inventory.py), so
ExampleValidator flags any tag outside it. The file's content fingerprint is
a parameter, so an edited schema re-runs this component and everything after.
"""

import os

import tensorflow as tf
from google.protobuf import text_format
from tensorflow_metadata.proto.v0 import schema_pb2
from tfx.dsl.component.experimental.annotations import InputArtifact, OutputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import Examples, Schema
from tfx.utils import io_utils

from contracts import features
from contracts.inventory import read_inventory

# The file name the standard SchemaGen and ImportSchemaGen write.
SCHEMA_FILE_NAME = "schema.pbtxt"


def with_tag_domain(curated: schema_pb2.Schema, labels) -> schema_pb2.Schema:
    """A copy of ``curated`` whose NER tag feature's string domain holds ``labels``."""
    schema = schema_pb2.Schema()
    schema.CopyFrom(curated)
    feature = next((f for f in schema.feature if f.name == features.NER_TAGS), None)
    if feature is None or not feature.domain:
        raise ValueError(f"The curated schema must name a string domain for "
                         f"'{features.NER_TAGS}' (feature {{ domain: ... }})")
    domain = next((d for d in schema.string_domain if d.name == feature.domain), None)
    if domain is None:
        domain = schema.string_domain.add(name=feature.domain)
    del domain.value[:]
    domain.value.extend(labels)
    return schema


@component
def InventorySchemaGen(examples: InputArtifact[Examples], schema: OutputArtifact[Schema],
                       schema_file: Parameter[str],
                       schema_fingerprint: Parameter[str],  # pylint: disable=unused-argument
                       ) -> None:
    """Writes the curated schema with the inventory's tags as the tag domain.

    ``schema_fingerprint`` (the file's content) is only read by TFX's cache.
    """
    with tf.io.gfile.GFile(schema_file) as handle:
        curated = text_format.Parse(handle.read(), schema_pb2.Schema())
    labels = read_inventory(examples.uri).labels
    io_utils.write_pbtxt_file(os.path.join(schema.uri, SCHEMA_FILE_NAME),
                              with_tag_domain(curated, labels))
