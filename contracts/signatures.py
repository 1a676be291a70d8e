"""Names of the exported model's signatures, their inputs and their outputs,
shared by the export (modules/trainer/export.py, which documents what each
output holds) and every client of it (serving/, the Evaluator, benchmarks)."""

SERVE_TEXT = "serving_default"
SERVE_WORDS = "serve_words"
SERVE_DOCUMENT = "serve_document"
SERVE_EXAMPLES = "serve_examples"
SERVE_INVENTORY = "serve_inventory"

# Input of each signature (serve_words also takes WORD_COUNT).
INPUT_OF = {
    SERVE_TEXT: "sentences",
    SERVE_WORDS: "words",
    SERVE_DOCUMENT: "documents",
    SERVE_EXAMPLES: "examples",
    SERVE_INVENTORY: "requests",
}
WORD_COUNT = "word_count"

# Not a signature: a variable of the export's root holding the document context
# length the model was trained with (0: each sentence alone), for batch callers.
DOCUMENT_CONTEXT = "document_context"

# Outputs of the text signatures (serving_default, serve_words, serve_document),
# dense per instance: per word, padded to WORD_COUNT ...
WORDS = "words"
TAGS = "tags"
SCORES = "scores"
WORD_STARTS = "word_starts"
WORD_ENDS = "word_ends"
# ... and per entity, padded to ENTITY_COUNT.
ENTITY_COUNT = "entity_count"
ENTITY_TYPES = "entity_types"
ENTITY_TEXTS = "entity_texts"
ENTITY_STARTS = "entity_starts"
ENTITY_ENDS = "entity_ends"
ENTITY_SCORES = "entity_scores"
# serve_examples: WORD_COUNT, TAGS and these.
TAG_IDS = "tag_ids"
PROBABILITIES = "probabilities"
# serve_inventory: ENTITY_TYPES, TAGS (label-id order) and these.
TAG_SCHEME = "tag_scheme"
TYPE_COUNT = "type_count"
