"""Size, load time and memory of the exported model: lean export against the old one.

The Trainer used to export the classifier it trained, which still tracked its
AdamW optimizer, so the SavedModel carried two slot variables per weight.
It now exports a float32 copy with the weights only (modules/trainer/model.py,
``inference_copy``). Both are built here from the same trained weights and
the same transform graph of one pipeline run:

  lean        the pushed model as the pipeline exports it;
  with_slots  the same weights in a classifier compiled with the training
              optimizer and stepped once, exported the old way.

Reports per export: size of ``variables/``, saved variables (and how many are
the optimizer's), and over repeated fresh processes the server's load time
(serving/servable.py ``load``, as ``ner-pipeline serve`` loads a version, after
the imports) and the process's resident memory once loaded, min/median/max.

    python -m benchmarks.export_size --pipeline-root ROOT --serving-dir SERVING_DIR
"""

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

from benchmarks.common import spread, write_results

# Imports first, so the time is the load's; memory from /proc, because ru_maxrss
# is inherited from the parent across fork and exec.
_LOAD_PROBE = """
import json, re, sys, time
from serving import servable
start = time.perf_counter()
servable.load(sys.argv[1], 1)
seconds = time.perf_counter() - start
status = open("/proc/self/status").read()
print(json.dumps({"seconds": seconds,
                  "rss_mib": int(re.search(r"VmRSS:\\s+(\\d+)", status).group(1)) / 1024}))
"""


def directory_bytes(path: pathlib.Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def describe(model_dir: pathlib.Path, repeats: int) -> dict:
    import tensorflow as tf
    names = [name for name, _ in tf.train.list_variables(str(model_dir / "variables" / "variables"))]
    loads = [json.loads(subprocess.run([sys.executable, "-c", _LOAD_PROBE, str(model_dir)],
                                       check=True, capture_output=True, text=True).stdout)
             for _ in range(repeats)]

    return {"variables_mib": round(directory_bytes(model_dir / "variables") / 2 ** 20, 1),
            "saved_variables": len(names),
            "optimizer_variables": sum("optimizer" in name.lower() for name in names),
            "load_seconds": spread((load["seconds"] for load in loads), 2),
            "loaded_rss_mib": spread((load["rss_mib"] for load in loads), 2)}


def _unscoped(name: str) -> str:
    """A variable's name without its model's numbered top-level scope."""
    return name.split("/", 1)[-1]


def export_with_slots(lean_dir: pathlib.Path, transform_graph: str, checkpoint_dir: str,
                      casing: bool, target: pathlib.Path) -> None:
    """The lean model's weights in a classifier that carries AdamW's slots, exported."""
    import tensorflow as tf
    import tensorflow_transform as tft
    from benchmarks.training_speed import keras_adam
    from contracts.checkpoint import resolve_checkpoint
    from contracts.inventory import read_inventory
    from contracts.training import TrainingConfig
    from modules.trainer import export
    from modules.trainer.losses import masked_loss
    from modules.trainer.model import TokenClassifier, load_token_classifier
    from modules.transform.tokenization import read_special_ids

    lean = tf.saved_model.load(str(lean_dir))
    inventory = read_inventory(transform_graph)
    classifier = TokenClassifier(load_token_classifier(checkpoint_dir, inventory.labels),
                                 casing=casing)
    # The optimizer the Trainer used when exports carried its slots.
    classifier.compile(optimizer=keras_adam(TrainingConfig(), 10), loss=masked_loss)
    ids = tf.constant([[101, 102]], tf.int64)
    classifier.train_on_batch({"input_ids": ids, "attention_mask": tf.ones_like(ids),
                               "casing": tf.zeros_like(ids)},
                              tf.constant([[-100, -100]], tf.int64))
    saved = lean.classifier.weights
    if len(saved) != len(classifier.variables):
        raise ValueError(f"the lean model holds {len(saved)} weights, the classifier "
                         f"{len(classifier.variables)}")
    for variable, value in zip(classifier.variables, saved):
        if _unscoped(variable.name) != _unscoped(value.name):
            raise ValueError(f"weight order differs: {variable.name} against {value.name}")
        variable.assign(value)
    checkpoint = resolve_checkpoint(checkpoint_dir)
    module = export.NerModule(export.ServedClassifier(classifier),
                              tft.TFTransformOutput(transform_graph).transform_features_layer(),
                              checkpoint.max_positions, read_special_ids(checkpoint.vocab_file).pad,
                              inventory)
    module.keras_model = classifier  # tracked: saved with its optimizer, as exports once were
    export.export(module, str(target))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pipeline-root", required=True, help="Root of a main-profile run")
    parser.add_argument("--serving-dir", type=pathlib.Path, required=True)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    from benchmarks.quality import latest_run, trainer_config
    from contracts.training import CHECKPOINT_CONFIG_KEY
    from pipeline import run_summary
    from serving.batch_model import resolve_model_dir
    config, store, executions = latest_run(args.pipeline_root)
    transform_graph = run_summary.output_artifacts(store, executions["Transform"])[
        "transform_graph"].uri
    checkpoint_dir = trainer_config(executions)[CHECKPOINT_CONFIG_KEY]["directory"]
    lean_dir = pathlib.Path(resolve_model_dir(str(args.serving_dir)))
    with tempfile.TemporaryDirectory() as work:
        with_slots = pathlib.Path(work) / "with_slots"
        export_with_slots(lean_dir, transform_graph, checkpoint_dir,
                          config.training.casing_embedding, with_slots)
        results = {"lean": describe(lean_dir, args.repeats),
                   "with_slots": describe(with_slots, args.repeats)}
    print(write_results("export_size", results).read_text())


if __name__ == "__main__":
    main()
