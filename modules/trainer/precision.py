"""Chooses the Keras precision policy for training.

bfloat16 pays off only where the hardware computes it natively: CPUs with
AVX-512 BF16 or AMX, GPUs from compute capability 8.0 (Ampere). Elsewhere
oneDNN or the GPU emulates it and it costs time instead. Whatever trained,
the exported model is a float32 copy (model.inference_copy).
"""

import contextlib
import pathlib
from typing import Iterable, Iterator

import tensorflow as tf
import tf_keras

AUTO = "auto"
BF16_CPU_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


CPUINFO = pathlib.Path("/proc/cpuinfo")


def cpu_flags(cpuinfo: pathlib.Path = CPUINFO) -> Iterable[str]:
    """The CPU's feature flags as Linux lists them (none where it does not)."""
    if not cpuinfo.exists():
        return ()
    for line in cpuinfo.read_text().splitlines():
        if line.startswith("flags"):
            return line.split(":", 1)[1].split()
    return ()


def bf16_is_native(cpuinfo: pathlib.Path = CPUINFO) -> bool:
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        return all(tf.config.experimental.get_device_details(gpu).get("compute_capability", (0, 0))
                   >= (8, 0) for gpu in gpus)
    return bool(BF16_CPU_FLAGS & set(cpu_flags(cpuinfo)))


def training_policy(requested: str) -> str:
    """The policy to train with: ``requested``, or for 'auto' bf16 where it is native."""
    if requested != AUTO:
        return requested
    return "mixed_bfloat16" if bf16_is_native() else "float32"


@contextlib.contextmanager
def keras_policy(policy: str) -> Iterator[None]:
    """Keras' global precision policy set to ``policy`` inside the block and put back
    after it: LocalDagRunner runs the Trainer in the caller's process, whose later
    models must not inherit bf16."""
    previous = tf_keras.mixed_precision.global_policy()
    tf_keras.mixed_precision.set_global_policy(policy)
    try:
        yield
    finally:
        tf_keras.mixed_precision.set_global_policy(previous)
