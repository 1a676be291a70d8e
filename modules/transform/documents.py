"""Document context: the sentences of a document joined into one sequence.

CoNLL-2003 is news, and a sentence's neighbours often settle what the
sentence alone leaves open (is "Leicester" the club or the town?). With
document context, consecutive sentences of a document are joined into one
``[CLS] pieces [SEP]`` sequence, which modules.transform.windows then cuts
into windows of the context length, at sentence starts wherever one fits.
Short sentences thus share a window with their neighbours, while every
word still lands in exactly one window with its own label, and its
prediction maps back to its sentence unchanged.

Sentences arrive encoded one per row (tokenization.encode), in document
order; ``document_rows`` says which rows form one document.
"""

import itertools
from typing import List, NamedTuple, Optional

import tensorflow as tf

from contracts import features

_ORDER_SPEC = {features.DOCUMENT_ID: tf.io.VarLenFeature(tf.string),
               features.SENTENCE_INDEX: tf.io.VarLenFeature(tf.int64)}


class Documents(NamedTuple):
    input_ids: tf.RaggedTensor        # [documents, pieces]: [CLS] pieces of each sentence [SEP]
    first_pieces: tf.RaggedTensor     # [documents, words]: positions in input_ids
    labels: Optional[tf.RaggedTensor]  # [documents, pieces], when labels were given
    casing: Optional[tf.RaggedTensor]  # [documents, pieces], when casing was given
    sentence_starts: tf.RaggedTensor  # [documents, sentences]: each sentence's first piece


def document_rows(document_ids: tf.Tensor) -> tf.Tensor:
    """Row ids (0, 0, 1, ...) of the documents that runs of equal ids form."""
    changed = tf.concat([tf.ones_like(document_ids[:1], tf.bool),
                         tf.not_equal(document_ids[1:], document_ids[:-1])], axis=0)
    return tf.cumsum(tf.cast(changed, tf.int64)) - 1


def starts_within(lengths: tf.Tensor, rows: tf.Tensor) -> tf.Tensor:
    """Where each item starts within its row, given the items' lengths and
    their sorted rows: an exclusive running sum that restarts at every row."""
    starts = tf.cumsum(lengths, exclusive=True)
    return starts - tf.gather(tf.math.segment_min(starts, rows), rows)


def join_sentences(input_ids: tf.RaggedTensor, first_pieces: tf.RaggedTensor,
                   rows: tf.Tensor, labels: Optional[tf.RaggedTensor] = None,
                   casing: Optional[tf.RaggedTensor] = None) -> Documents:
    """Joins encoded sentences (ragged [sentences, ...], each ``[CLS] ... [SEP]``)
    into documents by ``rows`` (document_rows: sorted, from 0): one [CLS] and
    one [SEP] per document, the sentences' pieces in order between them
    (their labels and casing ids alike, when given)."""
    input_ids = input_ids.with_row_splits_dtype(tf.int64)
    first_pieces = first_pieces.with_row_splits_dtype(tf.int64)
    rows = tf.cast(rows, tf.int64)
    count = tf.reduce_max(tf.concat([rows, [-1]], axis=0)) + 1
    # Where each sentence's pieces start in its document's body.
    offsets = starts_within(input_ids.row_lengths() - 2, rows)

    def by_document(values: tf.Tensor) -> tf.RaggedTensor:
        return tf.RaggedTensor.from_value_rowids(values, rows, nrows=count)

    def join(values: tf.RaggedTensor) -> tf.RaggedTensor:
        """The sentences' bodies joined, between the first sentence's own ends."""
        starts, limits = values.row_starts(), values.row_limits()
        body = tf.gather(values.flat_values, tf.ragged.range(starts + 1, limits - 1))
        first_sentence = tf.math.segment_min(tf.range(tf.size(rows, out_type=tf.int64)), rows)
        head = tf.gather(values.flat_values, tf.gather(starts, first_sentence))
        tail = tf.gather(values.flat_values, tf.gather(limits - 1, first_sentence))
        return tf.concat([head[:, None], by_document(body).merge_dims(1, 2), tail[:, None]],
                         axis=1)

    shifted = first_pieces.with_flat_values(
        first_pieces.flat_values + tf.gather(offsets, first_pieces.value_rowids()))
    return Documents(
        input_ids=join(input_ids),
        first_pieces=by_document(shifted).merge_dims(1, 2),
        labels=None if labels is None else join(labels.with_row_splits_dtype(tf.int64)),
        casing=None if casing is None else join(casing.with_row_splits_dtype(tf.int64)),
        sentence_starts=by_document(offsets + 1))


def document_records(files: List[str]) -> List[List[bytes]]:
    """The serialized sentence records (raw or transformed) of ``files``, grouped
    by document (documents sorted by id), each document's sentences in order."""
    keyed = []
    for batch in tf.data.TFRecordDataset(files, compression_type="GZIP").batch(4096):
        parsed = tf.io.parse_example(batch, _ORDER_SPEC)
        ids, indices = (parsed[key].values.numpy() for key in _ORDER_SPEC)
        if not len(ids) == len(indices) == len(batch):
            raise ValueError(f"Document order needs {features.DOCUMENT_ID} and "
                             f"{features.SENTENCE_INDEX} in every record of {files}")
        keyed += zip(ids, indices.tolist(), batch.numpy())
    keyed.sort(key=lambda record: record[:2])
    return [[record[2] for record in group]
            for _, group in itertools.groupby(keyed, key=lambda record: record[0])]
