"""The baseline a user would write first: a plain Hugging Face PyTorch fine-tuning loop.

Run by ``benchmarks.training_speed`` in its own environment (``make torch-env``:
PyTorch's CPU wheel needs Python 3.11 here, TFX needs 3.10), on the sentences the
TensorFlow variants train on, already encoded by our tokenizer (the same word-piece
ids, -100 on pieces that carry no label), from the same checkpoint:
BertForTokenClassification, batches of --batch-size sentences in a seeded random
order, each padded to its longest sentence (what DataCollatorForTokenClassification
and HF's Trainer do), AdamW at 1e-4 with linear warmup and decay over a schedule
long enough that no pass runs at rate 0, gradient-norm clipping at 1, float32.

One warm-up pass, then timed passes until --min-passes and --min-seconds; the
result (seconds per pass, real and computed tokens) is printed for the parent.
Imports PyTorch, transformers, numpy and benchmarks.common (standard library only).
"""

import argparse
import time

import numpy as np
import torch
import transformers
from transformers import BertForTokenClassification, get_linear_schedule_with_warmup

from benchmarks.common import print_result, spread


def load_sentences(path: str):
    """Per sentence: (input_ids, labels), int64 arrays; the label count."""
    data = np.load(path)
    ends = np.cumsum(data["lengths"])
    ids, labels = np.split(data["input_ids"], ends[:-1]), np.split(data["labels"], ends[:-1])
    return list(zip(ids, labels)), int(data["label_count"])


def batches(sentences, batch_size: int, pad_id: int, generator: np.random.Generator):
    order = generator.permutation(len(sentences))
    for start in range(0, len(order), batch_size):
        chosen = [sentences[index] for index in order[start:start + batch_size]]
        width = max(len(ids) for ids, _ in chosen)
        ids = np.full((len(chosen), width), pad_id, np.int64)
        labels = np.full((len(chosen), width), -100, np.int64)
        for row, (sentence_ids, sentence_labels) in enumerate(chosen):
            ids[row, :len(sentence_ids)] = sentence_ids
            labels[row, :len(sentence_labels)] = sentence_labels
        ids = torch.from_numpy(ids)
        yield ids, (ids != pad_id).long(), torch.from_numpy(labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help=".npz written by training_speed")
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--pad-id", type=int, required=True)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=0, help="0: PyTorch's default")
    parser.add_argument("--min-passes", type=int, default=5)
    parser.add_argument("--min-seconds", type=float, default=30.0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    sentences, label_count = load_sentences(args.data)
    model = BertForTokenClassification.from_pretrained(args.checkpoint, num_labels=label_count)
    model.train()
    steps_per_pass = -(-len(sentences) // args.batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, eps=1e-8, weight_decay=0.0)
    total = 1000 * steps_per_pass
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.1 * total), total)
    generator = np.random.default_rng(0)
    real = computed = 0

    def one_pass() -> None:
        nonlocal real, computed
        real = computed = 0
        for ids, mask, labels in batches(sentences, args.batch_size, args.pad_id, generator):
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            real += int(mask.sum())
            computed += mask.numel()

    one_pass()
    passes = []
    while len(passes) < args.min_passes or sum(passes) < args.min_seconds:
        start = time.perf_counter()
        one_pass()
        passes.append(time.perf_counter() - start)
    print_result({"pass_seconds": [round(p, 2) for p in passes], "real_tokens": real,
                  "computed_tokens": computed,
                  "real_tokens_per_second": spread([real / p for p in passes]),
                  "precision": "float32", "torch": torch.__version__,
                  "transformers": transformers.__version__, "threads": torch.get_num_threads(),
                  "mkldnn": torch.backends.mkldnn.is_available()})


if __name__ == "__main__":
    main()
