"""TF Serving's warm-up file, replayed by serving/warmup.py (a fake model runs it)."""

import pytest

from serving import warmup


def write_warmup_file(version_dir, logs) -> None:
    import tensorflow as tf
    (version_dir / "assets.extra").mkdir(parents=True)
    with tf.io.TFRecordWriter(str(version_dir / warmup.WARMUP_FILE)) as out:
        for log in logs:
            out.write(log.SerializeToString())


def predict_log(signature_name, **inputs):
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_log_pb2
    log = prediction_log_pb2.PredictionLog()
    log.predict_log.request.model_spec.signature_name = signature_name
    for name, value in inputs.items():
        log.predict_log.request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
    return log


def test_recorded_predict_requests_run_in_order(tmp_path):
    calls = []

    def run(signature_name, inputs):
        calls.append((signature_name, {name: value.tolist() for name, value in inputs.items()}))

    assert warmup.warm_up(run, str(tmp_path)) == 0 and calls == []  # no file: nothing to do
    write_warmup_file(tmp_path, [
        predict_log("", sentences=["Peter Blackburn"]),
        predict_log("serve_words", words=[["Japan", ""]], word_count=[1])])
    assert warmup.warm_up(run, str(tmp_path)) == 2
    assert calls == [("serving_default", {"sentences": [b"Peter Blackburn"]}),
                     ("serve_words", {"words": [[b"Japan", b""]], "word_count": [1]})]


def test_a_record_the_stand_in_cannot_run_fails_the_load(tmp_path):
    from tensorflow_serving.apis import prediction_log_pb2
    log = prediction_log_pb2.PredictionLog()
    log.classify_log.request.model_spec.name = "ner"
    write_warmup_file(tmp_path, [log])
    with pytest.raises(ValueError, match="record 1 is a classify_log"):
        warmup.warm_up(lambda *_: None, str(tmp_path))
