"""Request logging (serving/request_log.py, prediction_logs.py, batch_request_log.py) and its
options, without a model: the served end to end is in tests/test_monitor.py."""

import os
import threading

import apache_beam as beam
import numpy as np
import pytest

from pipeline import cli
from serving import prediction_logs
from serving.batch_inputs import Unit
from serving.batch_request_log import LogPredictions, version_of
from serving.request_log import RequestLog, Sampler

INPUTS = {"sentences": np.array([b"Peter Blackburn"], dtype=object)}
OUTPUTS = {"word_count": np.array([2], np.int64),
           "words": np.array([[b"Peter", b"Blackburn"]], dtype=object),
           "scores": np.array([[0.9, 0.8]], np.float32)}
HOUR = 1_796_292_000.0  # 2026-12-03 10:00 UTC


def logged(directory):
    return [log for path in prediction_logs.log_files(str(directory))
            for log in prediction_logs.read_logs(path)]


def test_sampler_is_deterministic_and_keeps_the_rate():
    sampler = Sampler(0.1)
    picked = [key for key in range(20_000) if sampler.sampled(key)]
    assert abs(len(picked) / 20_000 - 0.1) < 0.01
    assert picked == [key for key in range(20_000) if Sampler(0.1).sampled(key)]
    assert picked != [key for key in range(20_000) if Sampler(0.1, seed=1).sampled(key)]
    assert all(Sampler(1.0).sampled(key) for key in range(1000))
    with pytest.raises(ValueError, match="in \\(0, 1\\]"):
        Sampler(0.0)


def test_log_records_request_and_response_as_prediction_logs(tmp_path):
    log = RequestLog(str(tmp_path), 1.0, clock=lambda: HOUR)
    log.offer("ner", 7, "serving_default", INPUTS, OUTPUTS)
    log.close()
    (path,) = prediction_logs.log_files(str(tmp_path))
    assert os.path.basename(path).startswith("ner-7-20261203T10Z-")
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".writing")]
    (record,) = logged(tmp_path)
    spec = record.predict_log.request.model_spec
    assert (spec.name, spec.version.value, spec.signature_name) == ("ner", 7, "serving_default")
    assert record.log_metadata.sampling_config.sampling_rate == 1.0
    assert record.log_metadata.timestamp_secs == int(HOUR)
    assert list(record.log_metadata.saved_model_tags) == ["serve"]
    import tensorflow as tf
    assert tf.make_ndarray(record.predict_log.request.inputs["sentences"]).tolist() == [
        b"Peter Blackburn"]
    outputs = prediction_logs.output_arrays(record)
    assert outputs["words"].tolist() == [[b"Peter", b"Blackburn"]]
    np.testing.assert_array_equal(outputs["scores"], OUTPUTS["scores"])
    assert log.counts == {"written": 1, "dropped": 0, "failed": 0}


def test_files_rotate_per_hour_and_size_and_versions_get_their_own(tmp_path):
    now = [HOUR]
    log = RequestLog(str(tmp_path / "hourly"), 1.0, clock=lambda: now[0])
    log.offer("ner", 1, "serving_default", INPUTS, OUTPUTS)
    log.offer("ner", 2, "serving_default", INPUTS, OUTPUTS)
    now[0] += 3600
    log.offer("ner", 1, "serving_default", INPUTS, OUTPUTS)
    log.close()
    names = sorted(os.path.basename(path).rsplit("-", 3)[0]
                   for path in prediction_logs.log_files(str(tmp_path / "hourly")))
    assert names == ["ner-1-20261203T10Z", "ner-1-20261203T11Z", "ner-2-20261203T10Z"]
    small = RequestLog(str(tmp_path / "small"), 1.0, max_file_bytes=10)
    for _ in range(3):
        small.offer("ner", 1, "serving_default", INPUTS, OUTPUTS)
    small.close()
    assert len(prediction_logs.log_files(str(tmp_path / "small"))) == 3
    assert len(logged(tmp_path / "small")) == 3


def test_sampling_decides_per_request(tmp_path):
    log = RequestLog(str(tmp_path), 0.25)
    for _ in range(200):
        log.offer("ner", 1, "serving_default", INPUTS, OUTPUTS)
    log.close()
    expected = sum(Sampler(0.25).sampled(key) for key in range(200))
    assert len(logged(tmp_path)) == log.counts["written"] == expected


def test_a_full_queue_drops_and_a_failed_write_is_counted_never_raised(tmp_path, monkeypatch):
    release = threading.Event()
    make_log = prediction_logs.make_log

    def slow_make_log(*args):
        release.wait(10)
        return make_log(*args)

    monkeypatch.setattr(prediction_logs, "make_log", slow_make_log)
    log = RequestLog(str(tmp_path / "full"), 1.0, queue_records=1)
    for _ in range(5):  # the writer holds one, the queue one: the rest are dropped
        log.offer("ner", 1, "serving_default", INPUTS, OUTPUTS)
    release.set()
    log.close()
    assert log.counts["dropped"] >= 3 and log.counts["written"] + log.counts["dropped"] == 5
    monkeypatch.setattr(prediction_logs, "make_log", make_log)

    broken = RequestLog(str(tmp_path / "broken"), 1.0)
    broken.offer("ner", 1, "serving_default", {"sentences": object()}, OUTPUTS)  # not a tensor
    os.rmdir(tmp_path / "broken")  # and the directory is gone
    broken.offer("ner", 1, "serving_default", INPUTS, OUTPUTS)
    broken.close()
    assert broken.counts == {"written": 0, "dropped": 0, "failed": 2}


def test_batch_prediction_logs_a_sample_of_units(tmp_path):
    assert version_of("/models/ner/1796290961/") == 1796290961
    assert version_of("/models/export") is None
    units = [(Unit(index, index + 1, f"Japan won {index}"),
              {"word_count": np.int64(3), "words": np.array([b"Japan", b"won", b"0"], object),
               "tags": np.array([b"B-LOC", b"O", b"O"], object),
               "scores": np.array([0.9, 0.9, 0.9], np.float32)})
             for index in range(40)]
    with beam.Pipeline() as pipeline:
        _ = (pipeline | beam.Create(units)
             | LogPredictions(str(tmp_path), 0.5, "serving_default", 1796290961, "test"))
    records = logged(tmp_path)
    assert len(records) == sum(Sampler(0.5).sampled(index) for index in range(40))
    (path, *_) = prediction_logs.log_files(str(tmp_path))
    assert os.path.basename(path).startswith("ner-1796290961-")
    first = records[0].predict_log
    assert first.request.model_spec.version.value == 1796290961
    assert prediction_logs.output_arrays(records[0])["words"].shape == (1, 3)
    import tensorflow as tf
    assert tf.make_ndarray(first.request.inputs["sentences"]).shape == (1,)


@pytest.mark.parametrize("argv, message", [
    (["serve", "--model-dir", ".", "--request-log-sampling", "0.5"],
     "--request-log-sampling: only with --request-log-dir"),
    (["serve", "--model-dir", ".", "--request-log-dir", "logs", "--request-log-sampling", "0"],
     "--request-log-sampling must be above 0 and at most 1, not 0.0"),
    (["predict", "EU", "--request-log-dir", "logs"], "--request-log-dir: only with --input"),
    (["predict", "--input", "in.txt", "--output", "o.jsonl", "--model-dir", ".",
      "--request-log-dir", "logs", "--request-log-sampling", "2"],
     "--request-log-sampling must be above 0 and at most 1"),
])
def test_request_log_options_are_checked_before_anything_runs(argv, message, capsys):
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err

