"""One model trained with document context, read three ways at inference.

The Trainer's model of a pipeline root (found in its ML Metadata) is wrapped
again in the real NerModule: each sentence alone, documents packed into
windows of the context length, and the export's default, overlapping
windows where each word is read where it sits most centrally. Each variant
is exported and scored on the eval and test splits through the evaluator's
own path (serve_examples over whole documents, seqeval), so the numbers
separate what context at inference adds from what training with it adds.

    python -m benchmarks.context_inference --pipeline-roots ROOT [ROOT ...]

reads the first of the given pipeline roots whose model was trained with
document context.
"""

import argparse
import tempfile

import tensorflow as tf
import tensorflow_text  # noqa: F401  (ops of the exported model)
from tfx.utils import path_utils

from benchmarks.common import write_results
from benchmarks.quality import latest_run, trainer_config
from components.ner_evaluator.metrics import entity_scores
from components.ner_evaluator.predictions import predict_split
from contracts import features
from contracts.checkpoint import Checkpoint, ensure_resolved
from contracts.inventory import served_inventory
from modules.trainer import export
from contracts.training import CHECKPOINT_CONFIG_KEY
from modules.transform.tokenization import read_special_ids
from pipeline import run_summary

VARIANTS = {
    "sentences alone": {"context_length": 0},
    "document windows": {"context_overlap": False},
    "overlapping document windows (default)": {"context_overlap": True},
}


def trained_run(pipeline_root: str):
    """(trained model dir, examples artifact (MLMD proto), training config, checkpoint)
    of the latest run."""
    config, store, executions = latest_run(pipeline_root)
    model = run_summary.output_artifacts(store, executions["Trainer"])["model"]
    examples = run_summary.output_artifacts(store, executions["ConllExampleGen"])["examples"]
    return (path_utils.serving_model_path(model.uri), examples, config.training,
            ensure_resolved(Checkpoint(**trainer_config(executions)[CHECKPOINT_CONFIG_KEY])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pipeline-roots", required=True, nargs="+", metavar="ROOT",
                        help="Roots of main-profile runs; the first trained with "
                             "--document-context is read")
    args = parser.parse_args()
    trained_with_context = (run for run in map(trained_run, args.pipeline_roots)
                            if run[2].document_context)
    model_dir, examples, training, checkpoint = next(trained_with_context, (None,) * 4)
    if model_dir is None:
        parser.error(f"none of {', '.join(args.pipeline_roots)} was trained with document context")
    trained = tf.saved_model.load(model_dir)
    max_length, context_length = training.window_lengths(checkpoint.max_positions)
    results = {"document_context": context_length, "seed": training.seed, "variants": {}}
    for name, options in VARIANTS.items():
        inventory = served_inventory(trained)
        module = export.NerModule(trained.classifier, trained.tft_layer, max_length,
                                  read_special_ids(checkpoint.vocab_file).pad, inventory,
                                  **{"context_length": context_length, **options})
        with tempfile.TemporaryDirectory() as directory:
            export.export(module, directory)
            exported, scores = tf.saved_model.load(directory), {}
            for split in (features.EVAL_SPLIT, features.TEST_SPLIT):
                predictions = predict_split(exported, f"{examples.uri}/Split-{split}",
                                            inventory.labels)
                scores[split] = entity_scores(predictions.gold, predictions.predicted,
                                              inventory.types)["micro"]
        results["variants"][name] = scores
        print(f"{name}: eval F1 {scores['eval']['f1']:.4f}, test F1 {scores['test']['f1']:.4f}",
              flush=True)
    print(f"results: {write_results('context_inference', results)}")


if __name__ == "__main__":
    main()
