"""ConllExampleGen over span folders: TFX's own FileBasedDriver resolves the span,
then the executor reads the training window and the held-out set into one artifact."""

import copy

import pytest
from tfx.components.example_gen import driver
from tfx.types import standard_artifacts, standard_component_specs

from components.conll_example_gen import executor
from components.conll_example_gen.component import ConllExampleGen
from contracts import features
from contracts.spans import NUMBERED, SpanSettings
from tests.conftest import TINY_TRAIN
from tests.test_conll_example_gen import read_split, values
from tests.test_spans import SPLITS, write_spans


def ingest(data_dir, output_dir, spans: SpanSettings):
    """The component's execution properties through TFX's driver (span, patterns,
    fingerprint), its output artifact updated as the driver does, then the executor."""
    component = ConllExampleGen(data_dir=str(data_dir), spans=spans)
    exec_properties = {key: value for key, value in copy.deepcopy(component.exec_properties).items()
                       if value is not None}
    exec_properties = driver.FileBasedDriver(metadata_handle=None).resolve_exec_properties(
        exec_properties, None, None)
    examples = standard_artifacts.Examples()
    examples.uri = str(output_dir / "examples")
    driver.update_output_artifact(exec_properties, examples.mlmd_artifact)
    context = executor.Executor.Context(tmp_dir=str(output_dir / "tmp"), unique_id="1")
    executor.Executor(context).Do({}, {standard_component_specs.EXAMPLES_KEY: [examples]},
                                  exec_properties)
    return examples, exec_properties


@pytest.fixture
def span_tree(tmp_path):
    """span-1: the tiny train file; span-2 and span-3: its first document's one
    sentence more each; held-out valid and test in span-2 only."""
    second = "\nWithout NNP B-NP O\nit PRP B-NP O\n"
    return write_spans(tmp_path / "data", {
        "span-1": {"train.txt": TINY_TRAIN},
        "span-2": {**SPLITS, "train.txt": TINY_TRAIN + second},
        "span-3": {"train.txt": TINY_TRAIN + second + second}})


def test_the_driver_resolves_the_newest_span_and_the_executor_reads_the_window(
        span_tree, tmp_path):
    examples, exec_properties = ingest(span_tree, tmp_path, SpanSettings(
        layout=NUMBERED, train_spans="2"))
    assert exec_properties["span"] == 3
    assert examples.get_int_custom_property("span") == 3
    fingerprint = examples.get_string_custom_property("input_fingerprint")
    assert "num_files:1" in fingerprint  # span-3/* only: why the runner adds its own
    # Sentences: span-2 has 3 (TINY_TRAIN's 2 + 1), span-3 has 4.
    assert examples.get_int_custom_property("train_sentences") == 3 + 4
    assert examples.get_string_custom_property(executor.TRAIN_SPANS_PROPERTY) == "span-2,span-3"
    assert examples.get_string_custom_property(executor.EVAL_SOURCE_PROPERTY) == "span-2"
    assert examples.get_int_custom_property("eval_sentences") == 1
    assert examples.get_int_custom_property("test_sentences") == 1
    documents = [values(example, features.DOCUMENT_ID)[0]
                 for example in read_split(examples, "train")]
    assert sorted(set(documents)) == ["span-2/train.txt:0", "span-3/train.txt:0"]
    assert values(read_split(examples, "test")[0], features.DOCUMENT_ID) == ["span-2/test.txt:0"]


def test_a_static_range_ingests_an_older_span_and_all_spans_up_to_it(span_tree, tmp_path):
    examples, exec_properties = ingest(span_tree, tmp_path, SpanSettings(
        layout=NUMBERED, span=2, train_spans="all"))
    assert exec_properties["span"] == 2
    assert examples.get_int_custom_property("span") == 2
    assert examples.get_int_custom_property("train_sentences") == 2 + 3
    assert examples.get_string_custom_property(executor.TRAIN_SPANS_PROPERTY) == "span-1,span-2"


def test_a_missing_span_fails_in_tfxs_driver(span_tree, tmp_path):
    """Where no local check runs first (Vertex AI), TFX's driver refuses it."""
    with pytest.raises(ValueError, match="Cannot find matching for split train"):
        ingest(span_tree, tmp_path, SpanSettings(layout=NUMBERED, span=7))
