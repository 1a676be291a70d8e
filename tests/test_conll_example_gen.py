"""ConllExampleGen on small fixture files: split mapping, executor output, errors."""

import json
import os

import pytest
import tensorflow as tf
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils, standard_artifacts, standard_component_specs
from tfx.utils import proto_utils

from components.conll_example_gen import executor
from components.conll_example_gen.component import ConllExampleGen
from components.conll_example_gen.split_files import (
    MissingSplitError, default_input_config, resolve_split_files)
from contracts.conll_format import ConllFormatError
from components.conll_example_gen.survey import OutsideInventoryError
from contracts import features
from contracts.files import CONLL_STATS_FILE
from contracts.inventory import read_inventory
from tests.conftest import TINY_EVAL, TINY_TEST, TINY_TRAIN, write_conll_dir


def run_executor(data_dir, output_dir, input_config=None, **settings):
    """The executor as the pipeline runs it: the split files are found here.
    ``settings``: ConllExampleGen's labels and tag_scheme."""
    examples = standard_artifacts.Examples()
    examples.uri = str(output_dir / "examples")
    exec_properties = {
        standard_component_specs.CUSTOM_CONFIG_KEY: ConllExampleGen(
            data_dir=str(data_dir), **settings).exec_properties[
                standard_component_specs.CUSTOM_CONFIG_KEY],
        standard_component_specs.INPUT_BASE_KEY: str(data_dir),
        standard_component_specs.INPUT_CONFIG_KEY: proto_utils.proto_to_json(
            input_config or default_input_config()),
        standard_component_specs.OUTPUT_CONFIG_KEY: proto_utils.proto_to_json(
            example_gen_pb2.Output()),
        standard_component_specs.OUTPUT_DATA_FORMAT_KEY: example_gen_pb2.FORMAT_TF_EXAMPLE,
    }
    context = executor.Executor.Context(tmp_dir=str(output_dir / "tmp"), unique_id="1")
    executor.Executor(context).Do({}, {standard_component_specs.EXAMPLES_KEY: [examples]},
                                  exec_properties)
    return examples


def read_split(examples, split):
    pattern = os.path.join(artifact_utils.get_split_uri([examples], split), "*")
    records = tf.data.TFRecordDataset(tf.io.gfile.glob(pattern), compression_type="GZIP")
    return [tf.train.Example.FromString(record) for record in records.as_numpy_iterator()]


def values(example, key):
    feature = example.features.feature[key]
    if feature.HasField("int64_list"):
        return list(feature.int64_list.value)
    return [value.decode("utf-8") for value in feature.bytes_list.value]


def test_building_the_component_reads_no_data(tmp_path):
    component = ConllExampleGen(data_dir="gs://no-such-bucket/conll2003")
    assert component.exec_properties[standard_component_specs.INPUT_BASE_KEY] == \
        "gs://no-such-bucket/conll2003"
    component = ConllExampleGen(data_dir=str(tmp_path / "not-there-yet"))
    config = example_gen_pb2.Input()
    proto_utils.json_to_proto(component.exec_properties[standard_component_specs.INPUT_CONFIG_KEY],
                              config)
    assert config == default_input_config()


def test_input_config_maps_seed_names(tiny_conll_dir):
    config = resolve_split_files(str(tiny_conll_dir))
    assert [(s.name, s.pattern) for s in config.splits] == [
        ("train", "train.txt"), ("eval", "valid.txt"), ("test", "test.txt")]


def test_input_config_maps_original_conll2003_names(tmp_path):
    data_dir = write_conll_dir(tmp_path, {"eng.train": "A O\n", "eng.testa": "B O\n",
                                          "eng.testb": "C O\n"})
    config = resolve_split_files(str(data_dir))
    assert [s.pattern for s in config.splits] == ["eng.train", "eng.testa", "eng.testb"]


def test_input_config_names_missing_splits(tmp_path):
    data_dir = write_conll_dir(tmp_path / "conll", {"train.txt": "A O\n", "notes.md": "hi"})
    with pytest.raises(MissingSplitError) as caught:
        run_executor(data_dir, tmp_path / "out")
    message = str(caught.value)
    assert "eval (valid.txt or eng.testa or valid.jsonl)" in message
    assert "test (test.txt or eng.testb or test.jsonl)" in message
    assert "notes.md, train.txt" in message


def test_missing_directory_stops_the_executor(tmp_path):
    with pytest.raises(MissingSplitError, match=f"Data directory {tmp_path / 'nowhere'} does not"):
        run_executor(tmp_path / "nowhere", tmp_path / "out")


def test_empty_directory_names_every_split(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(MissingSplitError) as caught:
        run_executor(tmp_path / "empty", tmp_path / "out")
    assert str(caught.value) == (
        f"Data directory {tmp_path / 'empty'} has no file for split(s): train (train.txt or "
        f"eng.train or train.jsonl), eval (valid.txt or eng.testa or valid.jsonl), "
        f"test (test.txt or eng.testb or test.jsonl); "
        f"it holds: nothing")


def test_explicit_split_patterns_are_checked_and_read(tmp_path):
    data_dir = write_conll_dir(tmp_path / "conll", {
        "part-1.conll": TINY_TRAIN, "part-2.conll": TINY_TEST, "dev.conll": TINY_EVAL})
    explicit = example_gen_pb2.Input(splits=[
        example_gen_pb2.Input.Split(name="train", pattern="part-*.conll"),
        example_gen_pb2.Input.Split(name="eval", pattern="dev.conll")])
    examples = run_executor(data_dir, tmp_path / "out", explicit)
    assert examples.get_int_custom_property("train_sentences") == 3
    assert examples.get_int_custom_property("eval_sentences") == 1
    explicit.splits.add(name="test", pattern="test-*.conll")
    with pytest.raises(MissingSplitError, match=r"no file for split\(s\): test \(test-\*\.conll\)"):
        run_executor(data_dir, tmp_path / "out2", explicit)


def test_executor_writes_one_example_per_sentence(tiny_conll_dir, tmp_path):
    examples = run_executor(tiny_conll_dir, tmp_path)
    train = read_split(examples, "train")
    assert [values(e, features.TOKENS) for e in train] == [
        ["EU", "rejects", "German", "call", "."], ["Peter", "Blackburn", "in", "Brussels"]]
    first = train[0]
    assert values(first, features.NER_TAGS) == ["B-ORG", "O", "B-MISC", "O", "O"]
    assert values(first, features.POS_TAGS) == ["NNP", "VBZ", "JJ", "NN", "."]
    assert values(first, features.CHUNK_TAGS) == ["B-NP", "B-VP", "B-NP", "I-NP", "O"]
    assert values(first, features.DOCUMENT_ID) == ["train.txt:0"]
    assert [values(e, features.SENTENCE_INDEX) for e in train] == [[0], [1]]
    assert len(read_split(examples, "eval")) == 1
    assert len(read_split(examples, "test")) == 1

    assert artifact_utils.decode_split_names(examples.split_names) == ["train", "eval", "test"]
    assert examples.get_int_custom_property("train_sentences") == 2
    assert examples.get_int_custom_property("train_tokens") == 9
    assert examples.get_int_custom_property("train_entities") == 4
    assert examples.get_int_custom_property("eval_entities") == 1
    with open(os.path.join(examples.uri, CONLL_STATS_FILE)) as handle:
        stats = json.load(handle)
    assert stats["train"]["entities_by_type"] == {"ORG": 1, "MISC": 1, "PER": 1, "LOC": 1}
    assert stats["test"]["files"] == [str(tiny_conll_dir / "test.txt")]


def test_executor_converts_iob1_and_reports_it(tmp_path):
    data_dir = write_conll_dir(tmp_path / "conll", {
        "eng.train": "Ekeus I-PER\nin O\nBaghdad I-LOC\n", "eng.testa": "Iraq I-LOC\n",
        "eng.testb": "Rolf I-PER\nEkeus I-PER\n"})
    examples = run_executor(data_dir, tmp_path)
    (example,) = read_split(examples, "train")
    assert values(example, features.NER_TAGS) == ["B-PER", "O", "B-LOC"]
    assert examples.get_int_custom_property("train_iob1_tags_rewritten") == 2
    assert examples.get_int_custom_property("train_repaired_tags") == 0
    assert examples.get_string_custom_property("tag_scheme") == "IOB1"


def test_executor_stops_on_empty_split(tmp_path):
    data_dir = write_conll_dir(tmp_path / "conll", {
        "train.txt": TINY_TRAIN, "valid.txt": "-DOCSTART- -X- -X- O\n\n", "test.txt": TINY_TEST})
    with pytest.raises(executor.EmptySplitError, match=r"Split 'eval' has no sentence: .*valid\.txt"):
        run_executor(data_dir, tmp_path)


def test_executor_stops_on_bad_line(tmp_path):
    data_dir = write_conll_dir(tmp_path / "conll", {
        "train.txt": TINY_TRAIN + "\nOops NNP B-NP\n", "valid.txt": TINY_EVAL,
        "test.txt": TINY_TEST})
    with pytest.raises(Exception) as caught:
        run_executor(data_dir, tmp_path)
    assert isinstance(caught.value, ConllFormatError) or "ConllFormatError" in str(caught.value)
    assert "train.txt:14: expected 4 columns" in str(caught.value)


def test_examples_record_their_payload_format(tiny_conll_dir, tmp_path):
    """Readers (StatisticsGen, Transform, TFXIO) take the format from the artifact
    instead of warning and guessing."""
    from tfx.components.util import examples_utils
    component = ConllExampleGen(data_dir=str(tiny_conll_dir))
    assert (component.exec_properties[standard_component_specs.OUTPUT_DATA_FORMAT_KEY]
            == example_gen_pb2.FORMAT_TF_EXAMPLE)
    examples = run_executor(tiny_conll_dir, tmp_path)
    assert examples.get_string_custom_property("payload_format") == "FORMAT_TF_EXAMPLE"
    assert examples_utils.get_payload_format(examples) == example_gen_pb2.FORMAT_TF_EXAMPLE


IOBES_TRAIN = """Zoë S-person
founded O
Ørsted B-corporation
A/S E-corporation
and O
wrote O
Star B-creative-work
Wars I-creative-work
Saga E-creative-work
in O
Århus S-by

Wars E-creative-work
"""


def test_the_inventory_is_the_train_splits_types_and_iobes_becomes_iob2(tmp_path):
    data_dir = write_conll_dir(tmp_path / "own", {
        "train.txt": IOBES_TRAIN, "valid.txt": "Ørsted S-corporation\n",
        "test.txt": "Zoë S-person\n"})
    examples = run_executor(data_dir, tmp_path)
    inventory = read_inventory(examples.uri)
    assert inventory.types == ("by", "corporation", "creative-work", "person")
    assert inventory.source_scheme == "IOBES"
    assert examples.get_string_custom_property("entity_types") == "by,corporation,creative-work,person"
    assert examples.get_string_custom_property("tag_scheme") == "IOBES"
    first, repaired = read_split(examples, "train")
    assert values(first, features.NER_TAGS) == [
        "B-person", "O", "B-corporation", "I-corporation", "O", "O", "B-creative-work",
        "I-creative-work", "I-creative-work", "O", "B-by"]
    # An E- with no open chunk starts one, and is counted.
    assert values(repaired, features.NER_TAGS) == ["B-creative-work"]
    assert examples.get_int_custom_property("train_repaired_tags") == 1


def test_a_test_tag_outside_the_train_inventory_stops_ingestion_naming_file_and_line(tmp_path):
    data_dir = write_conll_dir(tmp_path / "conll", {
        "train.txt": TINY_TRAIN, "valid.txt": TINY_EVAL,
        "test.txt": TINY_TEST + "\nMonday NNP B-NP B-DATE\nnight NN I-NP I-DATE\n"})
    with pytest.raises(OutsideInventoryError) as caught:
        run_executor(data_dir, tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{data_dir / 'test.txt'}:6: entity types outside the inventory")
    assert "B-DATE (2 tags, split 'test'" in message
    assert "\n" not in message


def test_declared_labels_set_the_order_and_warn_about_types_train_lacks(tmp_path, caplog):
    data_dir = write_conll_dir(tmp_path / "conll", {
        "train.txt": TINY_TRAIN, "valid.txt": TINY_EVAL, "test.txt": TINY_TEST})
    examples = run_executor(data_dir, tmp_path, labels=("PER", "ORG", "LOC", "MISC", "DATE"))
    assert read_inventory(examples.uri).types == ("PER", "ORG", "LOC", "MISC", "DATE")
    assert "--labels declares DATE, which the train split never tags" in caplog.text
    with pytest.raises(OutsideInventoryError, match=r"declared by --labels\): B-MISC"):
        run_executor(data_dir, tmp_path / "again", labels=("PER", "ORG", "LOC"))


def test_an_explicit_scheme_refuses_tags_of_another(tmp_path):
    data_dir = write_conll_dir(tmp_path / "own", {
        "train.txt": IOBES_TRAIN, "valid.txt": "Ørsted S-corporation\n",
        "test.txt": "Zoë S-person\n"})
    with pytest.raises(ConllFormatError, match=r"train.txt:1: NER tag 'S-person' is not in the "
                                               r"IOB2 scheme"):
        run_executor(data_dir, tmp_path, tag_scheme="IOB2")


def test_label_studio_jsonl_is_read_with_the_serving_pre_tokenizer(tmp_path):
    text = "Zoë Saldaña visited São Paulo in 2019."
    record = {"text": text, "label": [
        {"start": 0, "end": text.index(" visited"), "labels": ["person"]},
        {"start": text.index("São"), "end": text.index(" in") - 1, "labels": ["city-ü"]}]}
    line = json.dumps(record, ensure_ascii=False) + "\n"
    data_dir = write_conll_dir(tmp_path / "jsonl", {
        "train.jsonl": line, "valid.jsonl": line, "test.jsonl": line})
    examples = run_executor(data_dir, tmp_path)
    (example,) = read_split(examples, "train")
    assert values(example, features.TOKENS) == [
        "Zoë", "Saldaña", "visited", "São", "Paulo", "in", "2019", "."]
    assert values(example, features.NER_TAGS) == [
        "B-person", "I-person", "O", "B-city-ü", "I-city-ü", "O", "O", "O"]
    assert read_inventory(examples.uri).types == ("city-ü", "person")
    # "Paul" cuts the word "Paulo": the span covers it and is counted.
    assert examples.get_int_custom_property("train_misaligned_spans") == 1


@pytest.mark.parametrize("record, problem", [
    ({"text": "Ann Lee", "label": [[0, 5, "PER"], [4, 7, "PER"]]}, "overlap"),
    ({"text": "Ann Lee", "label": [[0, 9, "PER"]]}, "out of range"),
])
def test_bad_jsonl_spans_stop_ingestion_naming_file_and_line(tmp_path, record, problem):
    good = json.dumps({"text": "Ann Lee", "label": [[0, 3, "PER"]]}) + "\n"
    data_dir = write_conll_dir(tmp_path / "jsonl", {
        "train.jsonl": good, "valid.jsonl": good, "test.jsonl": good + json.dumps(record) + "\n"})
    with pytest.raises(ConllFormatError, match=rf"test.jsonl:2: .*{problem}"):
        run_executor(data_dir, tmp_path)
