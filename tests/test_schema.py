"""The curated schema pins the feature layout; the tag domain comes from the inventory."""

import pytest
from tensorflow_data_validation.utils import schema_util
from tensorflow_metadata.proto.v0 import schema_pb2
from tfx.utils import io_utils

from components.schema_gen.component import with_tag_domain
from contracts import features
from contracts.inventory import EntityInventory
from pipeline.config import DEFAULT_SCHEMA_FILE


def load_schema():
    return io_utils.parse_pbtxt_file(str(DEFAULT_SCHEMA_FILE), schema_pb2.Schema())


def test_the_tag_domain_is_generated_from_the_inventory_and_the_rest_is_kept():
    curated = load_schema()
    inventory = EntityInventory(("person", "creative-work", "città"))
    schema = with_tag_domain(curated, inventory.labels)
    assert tuple(schema_util.get_domain(schema, features.NER_TAGS).value) == inventory.labels
    assert tuple(schema_util.get_domain(schema, features.NER_TAGS).value)[:3] == (
        "O", "B-person", "I-person")
    for kept, generated in zip(curated.feature, schema.feature):
        assert kept == generated
    assert not schema_util.get_domain(curated, features.NER_TAGS).value  # the template is empty


def test_a_schema_without_a_tag_domain_is_refused():
    curated = load_schema()
    for feature in curated.feature:
        if feature.name == features.NER_TAGS:
            feature.ClearField("domain")
    with pytest.raises(ValueError, match="string domain"):
        with_tag_domain(curated, ("O",))


def test_schema_names_every_feature_ingestion_writes():
    names = {feature.name for feature in load_schema().feature}
    assert names == {features.TOKENS, features.NER_TAGS, features.POS_TAGS, features.CHUNK_TAGS,
                     features.DOCUMENT_ID, features.SENTENCE_INDEX}
