"""TF Serving's --batching_parameters_file: a BatchingParameters message in protobuf text format.

The proto (tensorflow_serving/servables/tensorflow/session_bundle_config.proto)
is not in the tensorflow-serving-api package, so its message is built here
with TF Serving's field names, numbers and wrapper types, and the file is read
with protobuf's own text format: exactly the files TF Serving accepts parse,
and anything else fails as it would there. The defaults and range checks are
TF Serving's (bundle_factory_util.h, shared_batch_scheduler.h). Every error is
one line naming the file and the line.
"""

import dataclasses
import os
import re
from typing import Optional, Tuple

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format
from google.protobuf import wrappers_pb2

# (name, number, type, label) of BatchingParameters' fields in TF Serving 2.16.
_INT64, _STRING, _BOOL = ".google.protobuf.Int64Value", ".google.protobuf.StringValue", \
    ".google.protobuf.BoolValue"
_FIELDS = (
    ("max_batch_size", 1, _INT64), ("batch_timeout_micros", 2, _INT64),
    ("max_enqueued_batches", 3, _INT64), ("num_batch_threads", 4, _INT64),
    ("thread_pool_name", 5, _STRING), ("allowed_batch_sizes", 6, None),
    ("pad_variable_length_inputs", 7, None), ("enable_large_batch_splitting", 8, _BOOL),
    ("max_execution_batch_size", 9, _INT64))
_DEFAULT_MAX_BATCH_SIZE = 1000
# Fields the stand-in reads but does not act on (see serving/README.md).
IGNORED_FIELDS = ("allowed_batch_sizes", "enable_large_batch_splitting",
                  "max_execution_batch_size")


class BatchingConfigError(ValueError):
    """A batching parameters file that TF Serving would refuse; the message is one line."""


@dataclasses.dataclass(frozen=True)
class BatchingParameters:
    """TF Serving's defaults: SharedBatchScheduler's, for a field the file leaves out."""

    max_batch_size: int = _DEFAULT_MAX_BATCH_SIZE
    batch_timeout_micros: int = 0
    max_enqueued_batches: int = 10
    num_batch_threads: int = dataclasses.field(default_factory=lambda: os.cpu_count() or 1)
    thread_pool_name: str = "model_server_batch_threads"
    ignored: Tuple[str, ...] = ()  # IGNORED_FIELDS the file sets


def _message_class():
    file_proto = descriptor_pb2.FileDescriptorProto(
        name="tensorflow_serving/servables/tensorflow/session_bundle_config.proto",
        package="tensorflow.serving", syntax="proto3",
        dependency=["google/protobuf/wrappers.proto"])
    message = file_proto.message_type.add(name="BatchingParameters")
    field = descriptor_pb2.FieldDescriptorProto
    for name, number, wrapper in _FIELDS:
        entry = message.field.add(name=name, number=number, label=field.LABEL_OPTIONAL)
        if wrapper is not None:
            entry.type, entry.type_name = field.TYPE_MESSAGE, wrapper
        elif name == "allowed_batch_sizes":
            entry.type, entry.label = field.TYPE_INT64, field.LABEL_REPEATED
        else:
            entry.type = field.TYPE_BOOL
    pool = descriptor_pool.DescriptorPool()
    pool.Add(descriptor_pb2.FileDescriptorProto.FromString(
        wrappers_pb2.DESCRIPTOR.serialized_pb))
    pool.Add(file_proto)
    descriptor = pool.FindMessageTypeByName("tensorflow.serving.BatchingParameters")
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)


_MESSAGE = _message_class()


def read(path: Optional[str]) -> BatchingParameters:
    """The file's parameters, or TF Serving's defaults without a file."""
    if path is None:
        return BatchingParameters()
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise BatchingConfigError(f"{path}: cannot read the batching parameters: {error}") \
            from None
    return parse(text, path)


def parse(text: str, path: str) -> BatchingParameters:
    message = _MESSAGE()
    try:
        text_format.Parse(text, message)
    except text_format.ParseError as error:
        reason = str(error).split(" : ", 1)[-1]
        raise BatchingConfigError(f"{path}:{error.GetLine()}: {reason}") from None

    def where(name: str) -> str:
        return f"{path}:{_line_of(text, name)}"

    values = {}
    for name, smallest in (("max_batch_size", 1), ("batch_timeout_micros", 0),
                           ("max_enqueued_batches", 1), ("num_batch_threads", 1)):
        if message.HasField(name):
            values[name] = getattr(message, name).value
            if values[name] < smallest:
                raise BatchingConfigError(f"{where(name)}: {name} must be at least {smallest}; "
                                          f"was {values[name]}")
    if message.HasField("thread_pool_name"):
        values["thread_pool_name"] = message.thread_pool_name.value
    sizes, max_batch_size = message.allowed_batch_sizes, values.get("max_batch_size", _DEFAULT_MAX_BATCH_SIZE)
    if sizes and sizes[-1] != max_batch_size:  # TF Serving's check when it loads the model
        raise BatchingConfigError(
            f"{where('allowed_batch_sizes')}: Last entry in allowed_batch_sizes must match "
            f"max_batch_size; last entry was {sizes[-1]}; expected {max_batch_size}")
    ignored = tuple(name for name in IGNORED_FIELDS
                    if (message.allowed_batch_sizes if name == "allowed_batch_sizes"
                        else message.HasField(name)))
    return BatchingParameters(**values, ignored=ignored)


def _line_of(text: str, field: str) -> int:
    """The line where ``field`` is first set (comments skipped)."""
    pattern = re.compile(rf"\b{field}\b")
    return next(number for number, line in enumerate(text.splitlines(), 1)
                if pattern.search(line.split("#", 1)[0]))
