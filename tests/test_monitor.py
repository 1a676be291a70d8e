"""``ner-pipeline monitor``: its statistics without a model, then one end-to-end test:
the real server logs CoNLL test-split traffic and the same sentences lower-cased,
and monitor flags the second against the training split of the model's run.

The end-to-end test reads the quick pipeline run's root (read-only) for the
lineage and training data, and serves its pushed model under that version
($NER_SERVING_TEST_MODEL may point at another model to serve instead).
"""

import os
import pathlib

import pytest
import requests

from contracts.conll_format import read_sentences
from pipeline import cli
from serving import servable, training_data
from serving.drift_check import Thresholds, compare
from serving.drift_features import Profile, casing, entity_type, length_bin, psi, unseen_share
from serving.request_log import RequestLog
from tests.test_serving import running_server

EVERY_NTH_TEST_SENTENCE = 10  # 346 sentences from all over test.txt


def test_casing_lengths_and_entity_types_of_words():
    assert [casing(word) for word in ("paris", "Paris", "I", "EU", "McDonald", "1996", "-")] == [
        "lower", "Title", "Title", "UPPER", "mixed", "no letters", "no letters"]
    assert [length_bin(n) for n in (1, 5, 6, 20, 41, 300)] == [
        "1-5", "1-5", "6-10", "11-20", "41+", "41+"]
    assert [entity_type(tag) for tag in ("B-PER", "I-MISC", "O")] == ["PER", "MISC", "O"]
    with pytest.raises(ValueError):
        length_bin(0)


def test_psi_and_unseen_share():
    assert psi({"a": 10, "b": 30}, {"a": 1, "b": 3}) == 0.0
    assert psi({"a": 50, "b": 50}, {"a": 90, "b": 10}) == pytest.approx(
        0.4 * 0.5877867 + 0.4 * 1.6094379)
    assert psi({"a": 1}, {"b": 1}) > 10  # nothing in common: very large, but finite
    assert unseen_share({"Paris": 3, "paris": 1}, {"Paris": 7}) == 0.25


def profile_of(sentences):
    profile = Profile()
    for words, tags, score in sentences:
        profile.add(words, tags, [score] * len(words))
    return profile


def test_compare_flags_only_crossed_thresholds_and_judges_only_enough_sentences():
    sentence = (["EU", "rejects", "German", "call", "."], ["B-ORG", "O", "B-MISC", "O", "O"], 0.99)
    training = profile_of([sentence] * 200)
    same = compare(training, 0.0, profile_of([sentence] * 150), Thresholds())
    assert [row.drift for row in same] == [False] * 5
    lowered = ([word.lower() for word in sentence[0]], ["O"] * 5, 0.6)
    shifted = compare(training, 0.0, profile_of([lowered] * 150), Thresholds())
    assert {row.feature: row.drift for row in shifted} == {
        "words per sentence": False, "casing of words": True, "entity types of words": True,
        "words unseen in training": True, "mean confidence": True}
    assert shifted[3].served == "40.0%" and shifted[3].distance == "+40.0 points"  # eu, german
    few = compare(training, 0.0, profile_of([lowered] * 99), Thresholds())
    assert [row.drift for row in few] == [None] * 5


def test_lineage_finds_the_ingested_examples_of_a_pushed_version(quick_run):
    root, version, _ = quick_run
    store = training_data.open_store(str(root / "metadata.sqlite"))
    uri = pathlib.Path(training_data.examples_uri(store, version))
    assert uri.parent == root / "ConllExampleGen" / "examples"
    assert (uri / "Split-train").is_dir()
    with pytest.raises(training_data.TrainingDataError,
                       match=f"no model was pushed as version {version + 1} "):
        training_data.examples_uri(store, version + 1)


def test_monitor_refuses_bad_input_in_one_line(tmp_path, capsys):
    assert cli.main(["monitor", "--request-log", str(tmp_path / "none"),
                     "--pipeline-root", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (f"ner-pipeline monitor: error: --request-log "
                                       f"{tmp_path / 'none'} is not a directory\n")
    assert cli.main(["monitor", "--request-log", str(tmp_path), "--pipeline-root",
                     str(tmp_path)]) == 2
    assert "no logged serving_default or serve_words requests" in capsys.readouterr().err


@pytest.fixture(scope="module")
def quick_run(quick_pipeline):
    """(pipeline root, newest pushed version, its model directory) of the quick run."""
    serving_dir = pathlib.Path(quick_pipeline.serving_dir)
    version = max(int(path.name) for path in serving_dir.iterdir() if path.name.isdigit())
    model = pathlib.Path(os.environ.get("NER_SERVING_TEST_MODEL") or serving_dir / str(version))
    return pathlib.Path(quick_pipeline.pipeline_root), version, model


def drifted_features(report: str) -> set:
    """The features a report's verdict line names (none when it says "No drift.")."""
    if "**Drift:** " not in report:
        return set()
    return set(report.split("**Drift:** ")[1].split(".\n")[0].split(", "))


def test_monitor_flags_lower_cased_traffic_but_not_the_test_split(quick_run, shared_conll_dir,
                                                                  tmp_path, monkeypatch):
    """The quick run's model is weak, so only the word features (casing, unseen words)
    are asserted: they do not depend on the model. No capsys here: uvicorn's logging
    setup would close the output pytest captures."""
    root, version, model = quick_run
    base = tmp_path / "serving"
    base.mkdir()
    (base / str(version)).symlink_to(model)
    with open(shared_conll_dir / "test.txt", encoding="utf-8") as handle:
        sentences = [" ".join(sentence.tokens) for sentence in
                     read_sentences(handle, "test.txt")][::EVERY_NTH_TEST_SENTENCE]
    load, loaded = servable.load, {}

    def load_once(path, number):  # the second server reuses the first one's model
        if number not in loaded:
            loaded[number] = load(path, number)
        return loaded[number]

    monkeypatch.setattr(servable, "load", load_once)
    results = {}
    for name, traffic in (("test-split", sentences),
                          ("lower-cased", [sentence.lower() for sentence in sentences])):
        log = RequestLog(str(tmp_path / name), 1.0)
        with running_server(base, request_log=log) as url:
            for start in range(0, len(traffic), 32):
                response = requests.post(f"{url}/v1/models/ner:predict", timeout=300,
                                         json={"instances": traffic[start:start + 32]})
                assert response.status_code == 200, response.text
        assert log.counts == {"written": (len(traffic) + 31) // 32, "dropped": 0, "failed": 0}
        code = cli.main(["monitor", "--request-log", str(tmp_path / name), "--pipeline-root",
                         str(root), "--report-dir", str(tmp_path / f"{name}-report")])
        report = tmp_path / f"{name}-report"
        results[name] = code, (report / "drift_report.md").read_text(encoding="utf-8")
        assert (report / "drift.png").stat().st_size > 10_000
    word_features = {"casing of words", "words unseen in training"}
    code, report = results["test-split"]
    assert f"{len(sentences)} sentences" in report
    assert not word_features & drifted_features(report)
    assert code == (1 if drifted_features(report) else 0)
    code, report = results["lower-cased"]
    assert code == 1 and word_features <= drifted_features(report)
