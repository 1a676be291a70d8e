"""The training precision policy: 'auto' follows the hardware, and it never leaks."""

import pytest
import tf_keras

from modules.trainer import precision


def test_explicit_policies_are_kept_and_auto_follows_native_bf16(monkeypatch):
    assert precision.training_policy("float32") == "float32"
    assert precision.training_policy("mixed_bfloat16") == "mixed_bfloat16"
    monkeypatch.setattr(precision, "bf16_is_native", lambda: True)
    assert precision.training_policy("auto") == "mixed_bfloat16"
    monkeypatch.setattr(precision, "bf16_is_native", lambda: False)
    assert precision.training_policy("auto") == "float32"


def test_cpu_flags_decide_native_bf16(tmp_path, monkeypatch):
    monkeypatch.setattr(precision.tf.config, "list_physical_devices", lambda kind: [])
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f\n")
    assert not precision.bf16_is_native(cpuinfo)
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx512f avx512_bf16\n")
    assert precision.bf16_is_native(cpuinfo)


def test_the_keras_policy_is_put_back_after_the_block_even_on_error():
    assert tf_keras.mixed_precision.global_policy().name == "float32"
    with precision.keras_policy("mixed_bfloat16"):
        assert tf_keras.mixed_precision.global_policy().name == "mixed_bfloat16"
        assert tf_keras.layers.Dense(2).compute_dtype == "bfloat16"
    assert tf_keras.mixed_precision.global_policy().name == "float32"
    with pytest.raises(RuntimeError):
        with precision.keras_policy("mixed_bfloat16"):
            raise RuntimeError("training failed")
    assert tf_keras.mixed_precision.global_policy().name == "float32"
