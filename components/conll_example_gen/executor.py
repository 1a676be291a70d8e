"""ConllExampleGen executor: CoNLL files to one tf.Example per sentence.

A file is parsed as a whole by one Beam worker (sentences, documents and line
numbers are sequential), files and splits in parallel. Besides the examples,
each split's counts are taken twice: from the parsed sentences and from the
records actually written. They must agree, and they are kept as artifact
custom properties and as ``conll_stats.json`` beside the splits, so nothing
can be dropped silently.
"""

import dataclasses
import json
import os
from typing import Any, Dict, Iterator, List

import apache_beam as beam
import tensorflow as tf
from absl import logging
from tfx.components.example_gen import base_example_gen_executor
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import proto_utils

from components.conll_example_gen.conll_format import (
    Sentence, SplitStats, decode_lines, read_sentences)
from components.conll_example_gen.split_files import resolve_split_files
from contracts import features

STATS_FILE_NAME = "conll_stats.json"


class EmptySplitError(ValueError):
    """A split whose files hold no sentence."""


class LostSentencesError(RuntimeError):
    """Written examples differ from the sentences read."""


def _bytes_feature(values) -> tf.train.Feature:
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[v.encode("utf-8") for v in values]))


def sentence_to_example(sentence: Sentence) -> tf.train.Example:
    """The tf.Example layout every later stage reads (keys from contracts.features)."""
    feature = {
        features.TOKENS: _bytes_feature(sentence.tokens),
        features.NER_TAGS: _bytes_feature(sentence.ner_tags),
        features.DOCUMENT_ID: _bytes_feature([sentence.document_id]),
        features.SENTENCE_INDEX: tf.train.Feature(
            int64_list=tf.train.Int64List(value=[sentence.sentence_index])),
    }
    if sentence.pos_tags is not None:
        feature[features.POS_TAGS] = _bytes_feature(sentence.pos_tags)
    if sentence.chunk_tags is not None:
        feature[features.CHUNK_TAGS] = _bytes_feature(sentence.chunk_tags)
    return tf.train.Example(features=tf.train.Features(feature=feature))


def _read_file(path: str) -> Iterator[Sentence]:
    with tf.io.gfile.GFile(path, "rb") as handle:
        data = handle.read()
    count = 0
    for sentence in read_sentences(decode_lines(data, path), path):
        count += 1
        yield sentence
    logging.info("Read %d sentences from %s", count, path)


class _CountSentences(beam.CombineFn):
    """Split counts over parsed sentences, plus the IOB1 tags rewritten."""

    def create_accumulator(self):
        return SplitStats(), 0

    def add_input(self, accumulator, sentence: Sentence):
        stats, retagged = accumulator
        stats.add(sentence.ner_tags)
        return stats, retagged + sentence.retagged

    def merge_accumulators(self, accumulators):
        stats, retagged = SplitStats(), 0
        for other_stats, other_retagged in accumulators:
            stats, retagged = stats.merge(other_stats), retagged + other_retagged
        return stats, retagged

    def extract_output(self, accumulator):
        stats, retagged = accumulator
        return {"read": dataclasses.asdict(stats), "iob1_tags_rewritten": retagged}


def _write_json(value: Dict[str, Any], path: str) -> None:
    with tf.io.gfile.GFile(path, "w") as handle:
        json.dump(value, handle, indent=2, sort_keys=True)


def _load_json(path: str) -> Dict[str, Any]:
    with tf.io.gfile.GFile(path) as handle:
        return json.load(handle)


def count_written(split_uri: str) -> SplitStats:
    """Counts what a split's gzipped TFRecords really hold."""
    stats = SplitStats()
    files = tf.io.gfile.glob(os.path.join(split_uri, "*"))
    for record in tf.data.TFRecordDataset(files, compression_type="GZIP").as_numpy_iterator():
        example = tf.train.Example.FromString(record)
        tags = example.features.feature[features.NER_TAGS].bytes_list.value
        stats.add([tag.decode("utf-8") for tag in tags])
    return stats


@beam.ptransform_fn
def _ConllToExamples(pipeline: beam.Pipeline, pattern: str, read_stats_path: str
                     ) -> beam.pvalue.PCollection:
    files = sorted(tf.io.gfile.glob(pattern))
    if not files:
        raise FileNotFoundError(f"No CoNLL file matches {pattern}")
    sentences = (pipeline
                 | "ListFiles" >> beam.Create(files)
                 | "Reshuffle" >> beam.Reshuffle()
                 | "ParseConll" >> beam.FlatMap(_read_file))
    _ = (sentences
         | "CountRead" >> beam.CombineGlobally(_CountSentences())
         | "AddFiles" >> beam.Map(lambda stats: {**stats, "files": files})
         | "WriteReadStats" >> beam.Map(_write_json, read_stats_path))
    return sentences | "ToExample" >> beam.Map(sentence_to_example)


class Executor(base_example_gen_executor.BaseExampleGenExecutor):
    """Reads CoNLL files per input split and checks that every sentence is written."""

    def GetInputSourceToExamplePTransform(self):
        def conll_to_examples(exec_properties: Dict[str, Any], split_pattern: str):
            input_base = exec_properties[standard_component_specs.INPUT_BASE_KEY]
            split_name = self._split_names_by_pattern[split_pattern]
            return _ConllToExamples(  # pylint: disable=no-value-for-parameter
                os.path.join(input_base, split_pattern),
                self._read_stats_path(split_name))
        return conll_to_examples

    def _read_stats_path(self, split_name: str) -> str:
        return os.path.join(self._read_stats_dir, f"{split_name}.json")

    def Do(self, input_dict: Dict[str, List[Any]], output_dict: Dict[str, List[Any]],
           exec_properties: Dict[str, Any]) -> None:
        input_config = example_gen_pb2.Input()
        proto_utils.json_to_proto(exec_properties[standard_component_specs.INPUT_CONFIG_KEY],
                                  input_config)
        # Each split's file is found now, not when the pipeline was built.
        input_config = resolve_split_files(
            exec_properties[standard_component_specs.INPUT_BASE_KEY], input_config)
        exec_properties = {**exec_properties, standard_component_specs.INPUT_CONFIG_KEY:
                           proto_utils.proto_to_json(input_config)}
        self._split_names_by_pattern = {split.pattern: split.name for split in input_config.splits}
        self._read_stats_dir = self._get_tmp_dir()
        super().Do(input_dict, output_dict, exec_properties)

        examples = artifact_utils.get_single_instance(
            output_dict[standard_component_specs.EXAMPLES_KEY])
        report = {}
        for split_name in self._split_names_by_pattern.values():
            split_report = _load_json(self._read_stats_path(split_name))
            read = SplitStats(**split_report["read"])
            if read.sentences == 0:
                raise EmptySplitError(
                    f"Split '{split_name}' has no sentence: {', '.join(split_report['files'])}")
            written = count_written(artifact_utils.get_split_uri([examples], split_name))
            if written != read:
                raise LostSentencesError(
                    f"Split '{split_name}': read {read} but wrote {written}")
            report[split_name] = {**dataclasses.asdict(written), "files": split_report["files"],
                                  "iob1_tags_rewritten": split_report["iob1_tags_rewritten"]}
            for key in ("sentences", "tokens", "entities", "iob1_tags_rewritten"):
                examples.set_int_custom_property(f"{split_name}_{key}", report[split_name][key])
            if split_report["iob1_tags_rewritten"]:
                logging.warning("Split '%s': rewrote %d IOB1 tags to IOB2", split_name,
                                split_report["iob1_tags_rewritten"])
            logging.info("Split '%s': %s", split_name, written)
        _write_json(report, os.path.join(examples.uri, STATS_FILE_NAME))

