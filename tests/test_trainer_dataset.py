"""Training windows from transformed records, with and without document context."""

import random

import pytest
import tensorflow as tf

from contracts import features
from modules.trainer import dataset
from modules.transform.documents import document_records
from modules.transform.tokenization import IGNORED_LABEL

CLS, SEP = 101, 102


def transformed_record(document, index, pieces):
    """A record as Transform writes it: one word per piece, labelled by its id,
    with casing id 2 (lower) on the pieces."""
    def ints(values):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=values))
    feature = {
        features.INPUT_IDS: ints([CLS] + pieces + [SEP]),
        features.CASING: ints([0] + [2] * len(pieces) + [0]),
        features.FIRST_PIECES: ints(list(range(1, len(pieces) + 1))),
        features.LABELS: ints([IGNORED_LABEL] + pieces + [IGNORED_LABEL]),
        features.DOCUMENT_ID: tf.train.Feature(bytes_list=tf.train.BytesList(
            value=[document.encode()])),
        features.SENTENCE_INDEX: ints([index]),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def write_shuffled(path, documents):
    """documents: {id: [sentence pieces, ...]}, written in random order as Beam may."""
    records = [transformed_record(name, index, pieces) for name, sentences in documents.items()
               for index, pieces in enumerate(sentences)]
    random.Random(0).shuffle(records)
    with tf.io.TFRecordWriter(str(path), options="GZIP") as writer:
        for record in records:
            writer.write(record)


def window_bodies(windows):
    return [ids.numpy()[1:-1].tolist() for ids, _, _ in windows]


def test_document_context_packs_each_document_in_order(tmp_path):
    documents = {"a": [[1, 2], [3], [4, 5, 6], [7]], "b": [[8, 9]]}
    write_shuffled(tmp_path / "part.gz", documents)
    windows = list(dataset.windows_dataset(str(tmp_path / "*.gz"), 512, context_length=6))
    # Windows of up to 4 pieces, cut at sentence starts; documents in order.
    assert sorted(window_bodies(windows)) == [[1, 2, 3], [4, 5, 6, 7], [8, 9]]
    for ids, casing, labels in windows:
        assert ids.numpy()[1:-1].tolist() == labels.numpy()[1:-1].tolist()
        assert casing.numpy().tolist() == [0] + [2] * (len(ids) - 2) + [0]


def test_without_context_each_sentence_is_its_own_window(tmp_path):
    write_shuffled(tmp_path / "part.gz", {"a": [[1, 2], [3]], "b": [[4]]})
    windows = list(dataset.windows_dataset(str(tmp_path / "*.gz"), 512))
    assert sorted(window_bodies(windows)) == [[1, 2], [3], [4]]


def test_shards_split_documents_and_lose_none(tmp_path):
    documents = {f"d{n}": [[n * 10 + i] for i in range(3)] for n in range(1, 6)}
    write_shuffled(tmp_path / "part.gz", documents)
    shards = [window_bodies(dataset.windows_dataset(str(tmp_path / "*.gz"), 512, (2, index),
                                                    context_length=64)) for index in range(2)]
    assert sorted(shards[0] + shards[1]) == [[n * 10, n * 10 + 1, n * 10 + 2]
                                             for n in range(1, 6)]
    assert shards[0] and shards[1]


def test_records_without_document_fields_are_refused_with_context(tmp_path):
    record = tf.train.Example(features=tf.train.Features(feature={
        features.INPUT_IDS: tf.train.Feature(int64_list=tf.train.Int64List(
            value=[CLS, 1, SEP]))})).SerializeToString()
    with tf.io.TFRecordWriter(str(tmp_path / "part.gz"), options="GZIP") as writer:
        writer.write(record)
    with pytest.raises(ValueError, match="Document order needs document_id and sentence_index"):
        document_records([str(tmp_path / "part.gz")])


def test_batches_pad_casing_with_zero(tmp_path):
    write_shuffled(tmp_path / "part.gz", {"a": [[1, 2, 3], [4]]})
    batches = dataset.batched(dataset.windows_dataset(str(tmp_path / "*.gz"), 512), 2, 512, 0)
    (inputs, _), = list(batches)
    casing, mask = inputs["casing"].numpy(), inputs["attention_mask"].numpy()
    assert casing.shape == inputs["input_ids"].shape
    assert (casing[mask == 0] == 0).all()
    assert sorted((casing > 0).sum(axis=1).tolist()) == [1, 3]


@pytest.mark.parametrize("static_shapes, widths", [(False, [6, 22]), (True, [15, 23])])
def test_batches_pad_to_their_longest_window_or_for_xla_to_the_bucket_bound(
        tmp_path, static_shapes, widths):
    # Windows of 4 and 6 pieces, and of 20 and 22 (one narrow bucket, one coarse).
    write_shuffled(tmp_path / "part.gz", {"a": [[1, 2], [3, 4, 5, 6], list(range(18)),
                                                list(range(20))]})
    batches = dataset.batched(dataset.windows_dataset(str(tmp_path / "*.gz"), 512), 2, 512, 0,
                              static_shapes=static_shapes)
    shapes = sorted(inputs["input_ids"].shape[1] for inputs, _ in batches)
    assert shapes == widths


def test_batches_run_without_the_autotuning_thread(tmp_path):
    # Its doubling sleep held up every fit's end (modules/trainer/dataset.py).
    write_shuffled(tmp_path / "part.gz", {"a": [[1, 2, 3], [4]]})
    batches = dataset.batched(dataset.windows_dataset(str(tmp_path / "*.gz"), 512), 2, 512, 0,
                              shuffle_seed=1)
    assert batches.options().autotune.enabled is False
    assert sum(1 for _ in batches) == 1


def test_a_piece_budget_batches_short_windows_in_larger_numbers():
    assert dataset.bucket_batch_sizes([8, 12, 513], 2, pieces_per_batch=28) == [4, 2, 2, 2]
    assert dataset.bucket_batch_sizes([8, 12, 513], 2) == [2, 2, 2, 2]


def test_evaluation_batches_hold_every_window_once(tmp_path):
    sentences = [[1, 2]] * 5 + [list(range(1, 21))] * 3  # windows of 4 and of 22 pieces
    write_shuffled(tmp_path / "part.gz", {"a": sentences})
    batches = list(dataset.batched(dataset.windows_dataset(str(tmp_path / "*.gz"), 512), 2,
                                   512, 0, pieces_per_batch=35))
    sizes = sorted((int(inputs["input_ids"].shape[0]), int(inputs["input_ids"].shape[1]))
                   for inputs, _ in batches)
    # 35 pieces hold 5 windows of the bucket below 8 pieces, but fewer than the floor of
    # 2 of the bucket of 20 to 23 pieces.
    assert sizes == [(1, 22), (2, 22), (5, 4)]
