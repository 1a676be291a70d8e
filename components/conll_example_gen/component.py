"""ConllExampleGen: the standard FileBasedExampleGen driven by the CoNLL executor.

Keeping TFX's FileBasedExampleGen (rather than a component of our own) keeps
its driver: input fingerprints, spans and the cache hit on unchanged files.
"""

import os
from typing import Optional, Sequence

from google.protobuf import struct_pb2
from tfx.components import FileBasedExampleGen
from tfx.dsl.components.base import executor_spec
from tfx.proto import example_gen_pb2

from components.conll_example_gen import executor
from components.conll_example_gen.spans import input_config_for, range_config_for
from contracts.spans import NONE, SpanSettings
from contracts.tag_schemes import AUTO


def _packed(settings: dict) -> example_gen_pb2.CustomConfig:
    """ExampleGen's custom_config is a proto Any: here a Struct of the settings."""
    custom_config = example_gen_pb2.CustomConfig()
    custom_config.custom_config.Pack(struct_pb2.Struct(fields={
        key: struct_pb2.Value(string_value=value) if isinstance(value, str) else
        struct_pb2.Value(list_value=struct_pb2.ListValue(
            values=[struct_pb2.Value(string_value=item) for item in value]))
        for key, value in settings.items()}))
    return custom_config


class ConllExampleGen(FileBasedExampleGen):
    """Reads train/eval/test CoNLL files from a directory into tf.Example splits."""

    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)

    def __init__(self, data_dir: str, input_config: Optional[example_gen_pb2.Input] = None,
                 labels: Sequence[str] = (), tag_scheme: str = AUTO,
                 spans: SpanSettings = SpanSettings()):
        """``input_config`` defaults to each split's conventional file, looked up in
        ``data_dir`` when the component runs (split_files.py): building the
        pipeline reads nothing. ``labels`` declares the entity inventory (default:
        the train split's types); ``tag_scheme`` is a tag_schemes name or 'auto'.
        ``spans`` says how ``data_dir`` holds span folders (none by default): their
        layout's split pattern for TFX's driver, the span to ingest as a static
        range, and for the executor the window and held-out set (window.py)."""
        super().__init__(input_base=os.fspath(data_dir),
                         input_config=input_config or input_config_for(spans.layout),
                         range_config=range_config_for(spans.span),
                         custom_config=_packed({
                             executor.LABELS_KEY: list(labels),
                             executor.TAG_SCHEME_KEY: tag_scheme,
                             **_span_config(spans)}))


def _span_config(spans: SpanSettings) -> dict:
    """The span settings the executor reads; none for a plain directory, whose
    custom_config (and so cache key) stays as it was before spans."""
    if spans.layout == NONE:
        return {}
    return {executor.SPAN_LAYOUT_KEY: spans.layout, executor.TRAIN_SPANS_KEY: spans.train_spans,
            executor.EVAL_DIR_KEY: spans.eval_dir,
            executor.DATA_FINGERPRINT_KEY: spans.data_fingerprint}
