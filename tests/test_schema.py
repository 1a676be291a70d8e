"""The curated schema stays in step with the label list owned by contracts.features."""

from tensorflow_data_validation.utils import schema_util
from tfx.utils import io_utils
from tensorflow_metadata.proto.v0 import schema_pb2

from contracts import features
from pipeline.config import DEFAULT_SCHEMA_FILE


def load_schema():
    return io_utils.parse_pbtxt_file(str(DEFAULT_SCHEMA_FILE), schema_pb2.Schema())


def test_ner_tag_domain_is_the_label_list():
    schema = load_schema()
    domain = schema_util.get_domain(schema, features.NER_TAGS)
    assert tuple(domain.value) == features.LABELS


def test_schema_names_every_feature_ingestion_writes():
    names = {feature.name for feature in load_schema().feature}
    assert names == {features.TOKENS, features.NER_TAGS, features.POS_TAGS, features.CHUNK_TAGS,
                     features.DOCUMENT_ID, features.SENTENCE_INDEX}
