"""The one place that names every feature key and split of the pipeline.

Entity types and label ids are not named here: they come from the data
(contracts/inventory.py).

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

# Features written by Transform (one record per sentence, int64 lists; see
# modules/transform/preprocessing.py), read by the Trainer and the exported model.
INPUT_IDS = "input_ids"        # [CLS] word pieces [SEP]
CASING = "casing"              # casing id of each piece's word as written
FIRST_PIECES = "first_pieces"  # position in input_ids of each word's first piece
LABELS = "labels"              # label id on each word's first piece, -100 elsewhere
# The classifier's inputs per window: INPUT_IDS, CASING and this mask of real
# pieces (1) against padding (0), made where windows are batched.
ATTENTION_MASK = "attention_mask"

# Split names as TFX sees them, and the file names that feed each split: the
# usual CoNLL layout, the original CoNLL-2003 distribution, annotation-tool JSONL.
TRAIN_SPLIT = "train"
EVAL_SPLIT = "eval"
TEST_SPLIT = "test"
SPLIT_FILE_NAMES = {
    TRAIN_SPLIT: ("train.txt", "eng.train", "train.jsonl"),
    EVAL_SPLIT: ("valid.txt", "eng.testa", "valid.jsonl"),
    TEST_SPLIT: ("test.txt", "eng.testb", "test.jsonl"),
}
JSONL_SUFFIX = ".jsonl"
