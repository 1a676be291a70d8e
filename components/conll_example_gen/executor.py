"""ConllExampleGen executor: CoNLL files to one tf.Example per sentence.

First a light pass over every split (survey.py) finds the tagging scheme and
the entity inventory (declared, or the train split's types) and stops on a
tag outside it, naming file and line. The inventory is written beside the
splits (contracts/inventory.py) and recorded on the artifact; later stages
read it from there.

Then a file is parsed as a whole by one Beam worker (sentences, documents and
line numbers are sequential), files and splits in parallel, tags rewritten
to IOB2. Besides the examples, each split's counts are taken twice: from the
parsed sentences and from the records actually written. They must agree, and
they are kept as artifact custom properties and as ``conll_stats.json``
beside the splits, so nothing can be dropped silently.

With span folders (contracts/spans.py) the files come from window.py: the
train files of the training window and the held-out eval and test files;
document ids then start with the span folder, and the artifact records the
window (TRAIN_SPANS_PROPERTY) and the held-out source (EVAL_SOURCE_PROPERTY).
"""

import dataclasses
import json
import os
from typing import Any, Dict, Iterator, List, Tuple

import apache_beam as beam
import tensorflow as tf
from absl import logging
from google.protobuf import json_format, struct_pb2
from tfx.components.example_gen import base_example_gen_executor, utils
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import proto_utils

from contracts.conll_format import (
    Sentence, SplitStats, decode_lines, read_sentences)
from components.conll_example_gen.split_files import resolve_split_files
from components.conll_example_gen.window import InputPlan, SplitFile, plan_inputs
from components.conll_example_gen.jsonl_format import pretokenize, read_jsonl
from components.conll_example_gen.survey import (
    SplitSurvey, check_inventory, decide_inventory, survey_conll, survey_jsonl)
from contracts.tag_schemes import AS_WRITTEN, AUTO, SchemeEvidence
from contracts import features
from contracts.files import CONLL_STATS_FILE
from contracts.inventory import EntityInventory, write_inventory
from contracts.spans import NONE, SpanSettings

# Keys of the component's custom_config (a Struct, see component.py).
LABELS_KEY = "labels"
TAG_SCHEME_KEY = "tag_scheme"
# Only with span folders: the SpanSettings but the span, which TFX's driver resolves
# (the data fingerprint is there for the cache key alone).
SPAN_LAYOUT_KEY = "span_layout"
TRAIN_SPANS_KEY = "train_spans"
EVAL_DIR_KEY = "eval_dir"
DATA_FINGERPRINT_KEY = "data_fingerprint"
# Artifact custom properties with span folders: the window's folders, comma-separated,
# and the folder or directory eval and test came from.
TRAIN_SPANS_PROPERTY = "train_spans"
EVAL_SOURCE_PROPERTY = "eval_source"
# Per-split counts kept on the artifact as <split>_<count>.
COUNTS = ("sentences", "tokens", "entities", "iob1_tags_rewritten", "repaired_tags",
          "misaligned_spans", "records_without_words")


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


def _file_lines(path: str) -> Iterator[str]:
    with tf.io.gfile.GFile(path, "rb") as handle:
        data = handle.read()
    return decode_lines(data, path)


def _is_jsonl(path: str) -> bool:
    return path.endswith(features.JSONL_SUFFIX)


def read_file(file: SplitFile, scheme: str) -> Iterator[Sentence]:
    """A CoNLL file's sentences in IOB2, or a JSONL file's records (whose spans
    give IOB2 whatever ``scheme`` the CoNLL files are in)."""
    count, path = 0, file.path
    sentences = (read_jsonl(_file_lines(path), path, pretokenize) if _is_jsonl(path)
                 else read_sentences(_file_lines(path), path, scheme))
    for sentence in sentences:
        count += 1
        if file.document_prefix:
            sentence = dataclasses.replace(
                sentence, document_id=file.document_prefix + sentence.document_id)
        yield sentence
    logging.info("Read %d sentences from %s", count, path)


def survey_split(files: List[str], scheme: str) -> SplitSurvey:
    """The split's types and scheme evidence; ``scheme``: as requested ('auto' or a name)."""
    survey = SplitSurvey()
    for path in files:
        if _is_jsonl(path):
            survey_jsonl(_file_lines(path), path, survey)
        else:
            survey_conll(_file_lines(path), path, survey,
                         AS_WRITTEN if scheme == AUTO else scheme)
    return survey


def decide_scheme(requested: str, surveys: Dict[str, SplitSurvey]) -> str:
    """The requested scheme, or with 'auto' the one all splits' tags show."""
    if requested != AUTO:
        return requested
    evidence = SchemeEvidence()
    for survey in surveys.values():
        evidence.merge(survey.evidence)
    return evidence.scheme()


class _CountSentences(beam.CombineFn):
    """Split counts over parsed sentences, plus tags rewritten from IOB1 and repaired."""

    def create_accumulator(self):
        return SplitStats(), 0, 0

    def add_input(self, accumulator, sentence: Sentence):
        stats, retagged, repaired = accumulator
        stats.add(sentence.ner_tags)
        return stats, retagged + sentence.retagged, repaired + sentence.repaired

    def merge_accumulators(self, accumulators):
        stats, retagged, repaired = SplitStats(), 0, 0
        for other_stats, other_retagged, other_repaired in accumulators:
            stats = stats.merge(other_stats)
            retagged, repaired = retagged + other_retagged, repaired + other_repaired
        return stats, retagged, repaired

    def extract_output(self, accumulator):
        stats, retagged, repaired = accumulator
        return {"read": dataclasses.asdict(stats), "iob1_tags_rewritten": retagged,
                "repaired_tags": repaired}


def _custom_config(exec_properties: Dict[str, Any]) -> Dict[str, Any]:
    """The component's settings as packed into custom_config (component.py)."""
    config = example_gen_pb2.CustomConfig()
    proto_utils.json_to_proto(
        exec_properties.get(standard_component_specs.CUSTOM_CONFIG_KEY) or "{}", config)
    fields = struct_pb2.Struct()
    if config.HasField("custom_config"):
        config.custom_config.Unpack(fields)
    return json_format.MessageToDict(fields)


def _settings(exec_properties: Dict[str, Any]) -> Dict[str, Any]:
    values = _custom_config(exec_properties)
    return {LABELS_KEY: values.get(LABELS_KEY, []),
            TAG_SCHEME_KEY: values.get(TAG_SCHEME_KEY, AUTO)}


def _span_settings(exec_properties: Dict[str, Any]) -> SpanSettings:
    """The span settings ConllExampleGen was built with (a plain directory without any)."""
    values = _custom_config(exec_properties)
    defaults = SpanSettings()
    return SpanSettings(layout=values.get(SPAN_LAYOUT_KEY, defaults.layout),
                        train_spans=values.get(TRAIN_SPANS_KEY, defaults.train_spans),
                        eval_dir=values.get(EVAL_DIR_KEY, defaults.eval_dir))


def _plan_splits(exec_properties: Dict[str, Any], input_config: example_gen_pb2.Input
                ) -> Tuple[example_gen_pb2.Input, InputPlan]:
    """Each split's files, and ``input_config`` with each split's pattern made one
    of its files: a plain directory's as split_files.py finds them, span folders'
    as window.py plans them for the span TFX's driver resolved."""
    input_base = exec_properties[standard_component_specs.INPUT_BASE_KEY]
    spans = _span_settings(exec_properties)
    if spans.layout == NONE:
        resolved = resolve_split_files(input_base, input_config)
        return resolved, InputPlan(files={split.name: [
            SplitFile(path) for path in sorted(tf.io.gfile.glob(
                os.path.join(input_base, split.pattern)))] for split in resolved.splits})
    plan = plan_inputs(input_base, spans, exec_properties[utils.SPAN_PROPERTY_NAME])
    resolved = example_gen_pb2.Input()
    resolved.CopyFrom(input_config)
    for split in resolved.splits:
        split.pattern = plan.files[split.name][-1].path
    return resolved, plan


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
def _ConllToExamples(pipeline: beam.Pipeline, files: List[SplitFile], scheme: str,
                     read_stats_path: str) -> beam.pvalue.PCollection:
    paths = [file.path for file in files]
    sentences = (pipeline
                 | "ListFiles" >> beam.Create(files)
                 | "Reshuffle" >> beam.Reshuffle()
                 | "ParseConll" >> beam.FlatMap(read_file, scheme))
    _ = (sentences
         | "CountRead" >> beam.CombineGlobally(_CountSentences())
         | "AddFiles" >> beam.Map(lambda stats: {**stats, "files": paths})
         | "WriteReadStats" >> beam.Map(_write_json, read_stats_path))
    return sentences | "ToExample" >> beam.Map(sentence_to_example)


class Executor(base_example_gen_executor.BaseExampleGenExecutor):
    """Reads CoNLL files per input split and checks that every sentence is written."""

    def GetInputSourceToExamplePTransform(self):
        def conll_to_examples(exec_properties: Dict[str, Any], split_pattern: str):
            del exec_properties  # the files were planned in Do
            split_name = self._split_names_by_pattern[split_pattern]
            return _ConllToExamples(  # pylint: disable=no-value-for-parameter
                self._plan.files[split_name], self._scheme, self._read_stats_path(split_name))
        return conll_to_examples

    def _read_stats_path(self, split_name: str) -> str:
        return os.path.join(self._read_stats_dir, f"{split_name}.json")

    def Do(self, input_dict: Dict[str, List[Any]], output_dict: Dict[str, List[Any]],
           exec_properties: Dict[str, Any]) -> None:
        input_config = example_gen_pb2.Input()
        proto_utils.json_to_proto(exec_properties[standard_component_specs.INPUT_CONFIG_KEY],
                                  input_config)
        # Each split's files are found now, not when the pipeline was built.
        input_config, self._plan = _plan_splits(exec_properties, input_config)
        exec_properties = {**exec_properties, standard_component_specs.INPUT_CONFIG_KEY:
                           proto_utils.proto_to_json(input_config)}
        self._split_names_by_pattern = {split.pattern: split.name for split in input_config.splits}
        inventory, surveys = self._survey(exec_properties)
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
            survey = surveys[split_name]
            report[split_name] = {**dataclasses.asdict(written), "files": split_report["files"],
                                  "iob1_tags_rewritten": split_report["iob1_tags_rewritten"],
                                  "repaired_tags": split_report["repaired_tags"],
                                  "misaligned_spans": survey.misaligned_spans,
                                  "records_without_words": survey.records_without_words}
            for key in COUNTS:
                examples.set_int_custom_property(f"{split_name}_{key}", report[split_name][key])
            if split_report["iob1_tags_rewritten"]:
                logging.warning("Split '%s': rewrote %d IOB1 tags to IOB2", split_name,
                                split_report["iob1_tags_rewritten"])
            if split_report["repaired_tags"]:
                logging.warning("Split '%s': repaired %d ill-formed %s tags (an I-/E-/L- "
                                "without an open chunk of its type starts one)", split_name,
                                split_report["repaired_tags"], self._scheme)
            if survey.misaligned_spans:
                logging.warning("Split '%s': widened %d spans that cut a word to whole words",
                                split_name, survey.misaligned_spans)
            if survey.records_without_words:
                logging.warning("Split '%s': skipped %d records whose text has no word",
                                split_name, survey.records_without_words)
            logging.info("Split '%s': %s", split_name, written)
        _write_json(report, os.path.join(examples.uri, CONLL_STATS_FILE))
        write_inventory(inventory, examples.uri)
        examples.set_string_custom_property("entity_types", ",".join(inventory.types))
        examples.set_string_custom_property("tag_scheme", self._scheme)
        if self._plan.train_spans:
            examples.set_string_custom_property(TRAIN_SPANS_PROPERTY,
                                                ",".join(self._plan.train_spans))
            examples.set_string_custom_property(EVAL_SOURCE_PROPERTY, self._plan.eval_source)
            logging.info("Split 'train' from span(s) %s; eval and test from %s",
                         ", ".join(self._plan.train_spans), self._plan.eval_source)

    def _survey(self, exec_properties: Dict[str, Any]
                ) -> Tuple[EntityInventory, Dict[str, SplitSurvey]]:
        """Decides scheme and inventory from a first pass over the files (returned
        with the surveys per split); stops on tags outside the inventory before
        any example is written."""
        settings = _settings(exec_properties)
        surveys = {split: survey_split([file.path for file in files], settings[TAG_SCHEME_KEY])
                   for split, files in self._plan.files.items()}
        self._scheme = decide_scheme(settings[TAG_SCHEME_KEY], surveys)
        declared = tuple(settings[LABELS_KEY])
        train = surveys.get(features.TRAIN_SPLIT) or SplitSurvey()
        inventory, warnings = decide_inventory(train, declared, self._scheme)
        for warning in warnings:
            logging.warning("%s", warning)
        check_inventory(surveys, inventory, bool(declared))
        logging.info("Tag scheme %s (%s); entity types: %s", self._scheme,
                     "detected" if settings[TAG_SCHEME_KEY] == AUTO else "given",
                     ", ".join(inventory.types))
        return inventory, surveys

