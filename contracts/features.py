"""The one place that names every feature key, split and label of the pipeline.

Ingestion writes these keys, the schema pins them, Transform and the Trainer
read them. Change a name here and every stage follows.
"""

# Features written by ConllExampleGen (one tf.Example per sentence).
TOKENS = "tokens"
NER_TAGS = "ner_tags"
POS_TAGS = "pos_tags"
CHUNK_TAGS = "chunk_tags"
DOCUMENT_ID = "document_id"
SENTENCE_INDEX = "sentence_index"

# The CoNLL-2003 entity types and the IOB2 tag list; a tag's index is its label id.
ENTITY_TYPES = ("PER", "ORG", "LOC", "MISC")
LABELS = ("O",) + tuple(f"{prefix}-{kind}" for kind in ENTITY_TYPES for prefix in ("B", "I"))
LABEL_TO_ID = {label: index for index, label in enumerate(LABELS)}

# Split names as TFX sees them, and the file names that feed each split,
# first the seed's layout, then the original CoNLL-2003 distribution.
TRAIN_SPLIT = "train"
EVAL_SPLIT = "eval"
TEST_SPLIT = "test"
SPLIT_FILE_NAMES = {
    TRAIN_SPLIT: ("train.txt", "eng.train"),
    EVAL_SPLIT: ("valid.txt", "eng.testa"),
    TEST_SPLIT: ("test.txt", "eng.testb"),
}
