"""TF Serving's JSON encoding of predict requests and responses.

A request is ``{"instances": [...]}`` (row format: one item per batch
element, either a plain value when the signature has one input or an object
keyed by input name) or ``{"inputs": ...}`` (columnar: one value for the
single input, or an object of values keyed by input name), with an optional
``"signature_name"``. The response mirrors the request's format:
``{"predictions": [...]}`` or ``{"outputs": ...}``. String tensors may be sent
as ``{"b64": "<base64>"}`` and outputs named ``*_bytes`` are returned so.

Error messages follow TF Serving's wording (tensorflow_serving/util/json_tensor.cc)
so that clients matching on them behave the same against both servers.
Only string inputs are supported: both signatures of the NER model take strings.
"""

import base64
import binascii
import json
from typing import Any, Dict, List, Mapping, Tuple

import numpy as np

from serving.errors import ServingError, invalid_argument

# TF Serving's default signature_name (its kDefaultServingSignatureDefKey), a protocol
# constant: the export gives this name to its text signature (contracts.signatures).
DEFAULT_SIGNATURE = "serving_default"
_B64_KEY = "b64"
_BYTES_SUFFIX = "_bytes"
_MAX_ECHO_CHARS = 1000  # TF Serving echoes whole documents in errors; this stand-in cuts them
# Integer inputs (serve_words's word_count) arrive as JSON numbers.
_INTEGER_TYPES = {"DT_INT64": np.int64, "DT_INT32": np.int32}


def parse_document(body: bytes) -> Dict[str, Any]:
    """The request body as a JSON object; malformed bodies fail with TF Serving's parse errors."""
    if not body:
        raise invalid_argument("JSON Parse error: The document is empty")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise invalid_argument(
            f"JSON Parse error: Invalid encoding in string. at offset: {error.start}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        offset = len(text[:error.pos].encode("utf-8"))
        message = error.msg.removesuffix(" at")  # "Unterminated string starting at"
        raise invalid_argument(f"JSON Parse error: {message} at offset: {offset}") from None
    except RecursionError:
        raise invalid_argument("JSON Parse error: The document is nested too deeply") from None
    if not isinstance(document, dict):
        raise _format_error(document, "Is not object")
    return document


def signature_name(document: Mapping[str, Any]) -> str:
    name = document.get("signature_name", DEFAULT_SIGNATURE)
    if not isinstance(name, str):
        raise invalid_argument(
            f"JSON Value: {_show(document)} not formatted correctly. 'signature_name' key "
            "must be a string value.")
    return name or DEFAULT_SIGNATURE


def read_inputs(document: Mapping[str, Any],
                input_infos: Mapping[str, Mapping[str, Any]]) -> Tuple[Dict[str, np.ndarray], bool]:
    """Input arrays keyed by input name, and whether the request used the row format.

    ``input_infos`` is the signature's ``inputs`` as the metadata API prints
    them (TensorInfo with ``dtype`` and ``tensor_shape``).
    """
    has_instances, has_inputs = "instances" in document, "inputs" in document
    if has_instances and has_inputs:
        raise _format_error(document, "Not formatted correctly expecting only one of 'inputs' "
                                      "or 'instances' keys to exist ")
    if has_instances:
        arrays, row_format = _read_instances(document, input_infos), True
    elif has_inputs:
        arrays, row_format = _read_columns(document["inputs"], input_infos), False
    else:
        raise invalid_argument("Missing 'inputs' or 'instances' key")
    for name, array in arrays.items():
        _check_shape(name, array.shape, input_infos[name])
    return arrays, row_format


def write_outputs(outputs: Mapping[str, np.ndarray], row_format: bool) -> Dict[str, Any]:
    values = {name: _to_json(name, outputs[name]) for name in sorted(outputs)}
    single = next(iter(values.values())) if len(values) == 1 else None
    if not row_format:
        return {"outputs": values if single is None else single}
    batch_size = None
    for name in values:
        if outputs[name].ndim == 0:
            raise invalid_argument(f"Tensor name: {name} has no shape information ")
        if batch_size is not None and outputs[name].shape[0] != batch_size:
            raise invalid_argument(f"Tensor name: {name} has inconsistent batch size: "
                                   f"{outputs[name].shape[0]} expecting: {batch_size}")
        batch_size = outputs[name].shape[0]
    if single is not None:
        return {"predictions": single}
    return {"predictions": [{name: value[row] for name, value in values.items()}
                            for row in range(batch_size)]}


def _read_instances(document, input_infos) -> Dict[str, np.ndarray]:
    instances = document["instances"]
    if not isinstance(instances, list):
        raise _format_error(document, "Excepting 'instances' to be an list/array")
    if not instances:
        raise _format_error(document, "No values in 'instances' array")
    named = _is_named(instances[0])
    if not named and len(input_infos) > 1:
        raise invalid_argument("instances is a plain list, but expecting list of objects as "
                               "multiple input tensors required as per tensorinfo_map")
    shapes: Dict[str, List[int]] = {}
    values: Dict[str, list] = {name: [] for name in input_infos}
    for index, instance in enumerate(instances):
        if named != _is_named(instance):
            wanted, found = ("object", "list") if named else ("value/list", "object")
            raise invalid_argument(f"Expecting {wanted} but got {found} at item {index} of "
                                   "input list")
        items = instance.items() if named else [(next(iter(input_infos)), instance)]
        for name, value in items:
            where = f"{index} key: {name}" if named else f"{index}"
            try:
                if name not in input_infos:
                    raise invalid_argument(f"JSON object: does not have named input: {name}")
                shape, flat = _dense(value, input_infos[name]["dtype"])
                _check_same_shape(shapes.setdefault(name, shape), shape)
            except ServingError as error:
                raise invalid_argument(f"Failed to process element: {where} of 'instances' "
                                       f"list. Error: INVALID_ARGUMENT: {error.message}") from None
            values[name].extend(flat)
        if named and set(instance) != set(input_infos):
            raise invalid_argument(
                f"Failed to process element: {index} of 'instances' list. JSON object: "
                f"{_show(instance)} keys must be equal to: {','.join(sorted(input_infos))}")
    return {name: _array(values[name], [len(instances)] + shapes[name], info["dtype"])
            for name, info in input_infos.items()}


def _read_columns(value, input_infos) -> Dict[str, np.ndarray]:
    if not _is_named(value):
        if len(input_infos) > 1:
            raise invalid_argument("inputs is a plain value/list, but expecting an object as "
                                   "multiple input tensors required as per tensorinfo_map")
        columns = {next(iter(input_infos)): value}
    else:
        missing = [name for name in input_infos if name not in value]
        if missing:
            raise invalid_argument(f"Missing named input: {missing[0]} in 'inputs' object.")
        columns = {name: value[name] for name in input_infos}
    arrays = {}
    for name, column in columns.items():
        shape, flat = _dense(column, input_infos[name]["dtype"])
        arrays[name] = _array(flat, shape, input_infos[name]["dtype"])
    return arrays


def _dense(value, dtype: str) -> Tuple[List[int], list]:
    """Shape and row-major values of a nested JSON list, which must be rectangular."""
    shape = []
    probe = value
    while isinstance(probe, list):
        shape.append(len(probe))
        if not probe:
            break
        probe = probe[0]
    flat: list = []
    _flatten(value, shape, 0, dtype, flat)
    return shape, flat


def _flatten(value, shape: List[int], level: int, dtype: str, flat: list) -> None:
    if not isinstance(value, list):
        if level != len(shape):
            raise invalid_argument(f"JSON Value: {_show(value)} found at incorrect level: "
                                   f"{level + 1} in the JSON DOM. Expected at level: {len(shape)}")
        flat.append(_scalar(value, dtype))
        return
    if level >= len(shape):
        raise invalid_argument(f"Encountered list at unexpected level: {level} expected < "
                               f"{len(shape)}")
    if len(value) != shape[level]:
        raise invalid_argument(f"Encountered list at unexpected size: {len(value)} at level: "
                               f"{level} expected size: {shape[level]}")
    for item in value:
        _flatten(item, shape, level + 1, dtype, flat)


def _scalar(value, dtype: str):
    if dtype in _INTEGER_TYPES:
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid_argument(f"JSON Value: {_show(value)} Type: {_json_type(value)} is not "
                                   f"of expected type: {dtype[3:].lower()}")
        return value
    if dtype != "DT_STRING":
        raise ServingError(501, f"Conversion of JSON Value: {_show(value)} to type: {dtype} is "
                                "not supported by this server")
    if isinstance(value, dict):
        if not _is_b64(value):
            raise invalid_argument(f"JSON Value: {_show(value)} not formatted correctly for "
                                   "base64 data")
        try:
            return base64.b64decode(value[_B64_KEY], validate=True)
        except (binascii.Error, ValueError):
            raise invalid_argument("Unable to base64 decode") from None
    if not isinstance(value, str):
        raise invalid_argument(f"JSON Value: {_show(value)} Type: {_json_type(value)} is not of "
                               "expected type: string")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate written as a \uD8xx escape
        raise invalid_argument(f"JSON Value: {json.dumps(value)} has an unpaired surrogate; "
                               "strings must be valid UTF-8") from None


def _check_same_shape(first: List[int], shape: List[int]) -> None:
    first_size, size = int(np.prod(first)), int(np.prod(shape))
    if size != first_size:
        raise invalid_argument(f"Expecting tensor size: {first_size} but got: {size}")
    if shape != first:
        raise invalid_argument(f"Expecting shape {_shape_text(first)} but got: "
                               f"{_shape_text(shape)}")


def _check_shape(name: str, shape: Tuple[int, ...], info: Mapping[str, Any]) -> None:
    """The signature's shape, where -1 stands for any size, must fit the request's."""
    tensor_shape = info.get("tensor_shape", {})
    if tensor_shape.get("unknown_rank"):
        return
    expected = [int(dim["size"]) for dim in tensor_shape.get("dim", [])]
    if len(shape) != len(expected) or any(want not in (-1, got)
                                         for want, got in zip(expected, shape)):
        raise invalid_argument(f"Input '{name}' has shape {_shape_text(shape)} but the "
                               f"signature expects {_shape_text(expected)} (-1: any size)")


def _array(flat: list, shape: List[int], dtype: str) -> np.ndarray:
    if dtype in _INTEGER_TYPES:
        return np.asarray(flat, dtype=_INTEGER_TYPES[dtype]).reshape(shape)
    array = np.empty(len(flat), dtype=object)
    array[:] = flat
    return array.reshape(shape)


def _to_json(name: str, array: np.ndarray):
    if array.dtype == object:  # TensorFlow strings arrive as bytes objects
        if name.endswith(_BYTES_SUFFIX):
            def convert(value):
                return {_B64_KEY: base64.b64encode(value).decode("ascii")}
        else:
            def convert(value):
                return value.decode("utf-8", "replace")
        return np.vectorize(convert, otypes=[object])(array).tolist()
    if array.dtype in (np.float16, np.float32):
        # Shortest decimal that reads back as the same float32, as TF Serving
        # writes floats; float64 would add noise digits (0.2 -> 0.20000000298).
        return array.astype(str).astype(np.float64).tolist()
    return array.tolist()


def _is_b64(value) -> bool:
    return (isinstance(value, dict) and len(value) == 1
            and isinstance(value.get(_B64_KEY), str))


def _is_named(value) -> bool:
    """An object keyed by input name (a ``{"b64": ...}`` object is a value)."""
    return isinstance(value, dict) and not _is_b64(value)


def _json_type(value) -> str:
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "True" if value else "False"
    return {dict: "Object", list: "Array", str: "String"}.get(type(value), "Number")


def _show(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _MAX_ECHO_CHARS else text[:_MAX_ECHO_CHARS] + "..."


def _shape_text(shape) -> str:
    return "[" + ",".join(str(size) for size in shape) + "]"


def _format_error(value, message: str) -> ServingError:
    return invalid_argument(f"JSON Value: {_show(value)} {message}")
