"""Training on your own data: CoNLL-2003 relabelled into other type names and another
tagging scheme must learn what CoNLL-2003 itself teaches.

The relabelled copy is written by benchmarks/relabel.py (renamed types, IOBES);
both data sets are trained on the main profile with the same seeds by
``ner-pipeline run`` into their own pipeline roots. This benchmark reads the
finished runs back from ML Metadata (quality.recorded_run) and asks each
pushed model which entity types it serves (serve_inventory):

    python -m benchmarks.relabel --source DATA --target RELABELLED --scheme iobes \
        --rename PER=person,ORG=corporation,LOC=place,MISC=miscelánea
    ner-pipeline run --data-dir DATA --seed S --pipeline-root conll-S/root ...
    ner-pipeline run --data-dir RELABELLED --seed S --pipeline-root own-S/root ...
    python -m benchmarks.own_data --conll-roots conll-42/root conll-7/root \
        --own-roots own-42/root own-7/root --rename PER=person,... --scheme iobes
"""

import argparse
import statistics
from typing import List

import tensorflow as tf
import tensorflow_text  # noqa: F401  (ops of the exported model)

from benchmarks.common import write_results
from benchmarks.context_inference import trained_run
from benchmarks.quality import latest_run, recorded_run
from benchmarks.relabel import SCHEMES, parse_rename
from contracts.inventory import served_inventory


def _runs(roots: List[str]) -> List[dict]:
    runs = []
    for root in roots:
        run = recorded_run(latest_run(root)[0])
        run["served_entity_types"] = list(served_inventory(
            tf.saved_model.load(trained_run(root)[0])).types)
        runs.append(run)
    return runs


def _spread(runs: List[dict]) -> dict:
    test = [run["splits"]["test"]["entity_f1"] for run in runs]
    return {"test_entity_f1_mean": round(statistics.mean(test), 4),
            "test_entity_f1_min": round(min(test), 4), "test_entity_f1_max": round(max(test), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conll-roots", required=True, nargs="+", metavar="ROOT")
    parser.add_argument("--own-roots", required=True, nargs="+", metavar="ROOT")
    parser.add_argument("--rename", type=parse_rename, required=True, help="OLD=NEW,...")
    parser.add_argument("--scheme", choices=SCHEMES, required=True)
    args = parser.parse_args()
    conll, own = _runs(args.conll_roots), _runs(args.own_roots)
    by_seed = {run["seed"]: run for run in conll}
    differences = [round(run["splits"]["test"]["entity_f1"]
                         - by_seed[run["seed"]]["splits"]["test"]["entity_f1"], 4)
                   for run in own if run["seed"] in by_seed]
    conll_spread = _spread(conll)
    results = {
        "relabelling": {"rename": args.rename, "scheme": args.scheme},
        "conll2003_runs": conll, "own_data_runs": own,
        "conll2003": conll_spread, "own_data": _spread(own),
        "test_f1_difference_same_seed": differences,
        "within_conll_seed_spread": all(
            conll_spread["test_entity_f1_min"] <= run["splits"]["test"]["entity_f1"]
            <= conll_spread["test_entity_f1_max"] for run in own),
    }
    print(write_results("own_data", results))


if __name__ == "__main__":
    main()
