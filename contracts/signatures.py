"""Names of the exported model's signatures and of their inputs, shared by the
export (modules/trainer/export.py) and every client of it (serving/, the
Evaluator, benchmarks). The outputs are documented in export.py."""

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
