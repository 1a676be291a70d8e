"""The training data of a pushed model version, found through the pipeline's ML Metadata.

Lineage, as the local runner records it: the PushedModel artifact whose
``pushed_version`` is the version (the newest, when a rerun recorded the push
again) <- the Pusher run that output it <- its input ``model`` <- the Trainer
run that output that <- and so on upstream through every run's inputs, to
the Examples artifact made by a run that read no Examples (ConllExampleGen).
Those Examples hold the ``tokens`` and ``ner_tags`` (IOB2) of each sentence,
per split, in gzipped TFRecord files under ``Split-<name>/``. Transform's
output is also of type Examples, but it was made from Examples, so it is
passed through.
"""

import glob
import os
from typing import Iterator, List, Set, Tuple

import tensorflow as tf
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2
from tensorflow.core.example import example_pb2

from contracts.features import NER_TAGS, TOKENS
from serving.drift_features import Profile

_EXAMPLES = "Examples"
_PUSHED_MODEL = "PushedModel"
_OUTPUTS = (metadata_store_pb2.Event.OUTPUT, metadata_store_pb2.Event.DECLARED_OUTPUT)
_INPUTS = (metadata_store_pb2.Event.INPUT, metadata_store_pb2.Event.DECLARED_INPUT)


class TrainingDataError(RuntimeError):
    """No training data can be found for a version; the CLI prints it on one line."""


def open_store(metadata_path: str) -> metadata_store.MetadataStore:
    if not os.path.isfile(metadata_path):
        raise TrainingDataError(f"no ML Metadata file at {metadata_path}")
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = metadata_path
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
    return metadata_store.MetadataStore(config)


def examples_uri(store: metadata_store.MetadataStore, version: int) -> str:
    """The URI of the Examples artifact the model pushed as ``version`` was trained on."""
    pushed = [artifact for artifact in store.get_artifacts_by_type(_PUSHED_MODEL)
              if artifact.custom_properties["pushed"].int_value
              and artifact.custom_properties["pushed_version"].string_value == str(version)]
    if not pushed:
        raise TrainingDataError(f"no model was pushed as version {version} in this pipeline root")
    push = max(pushed, key=lambda artifact: artifact.id)
    models = [artifact for execution in _producers(store, push.id)
              for key, artifact in _inputs(store, execution) if key == "model"]
    roots = _root_examples(store, [model.id for model in models])
    if len(roots) != 1:
        raise TrainingDataError(f"version {version}'s model traces back to {len(roots)} "
                                "ingested Examples artifacts, not one")
    return roots.pop()


def _root_examples(store: metadata_store.MetadataStore, artifact_ids: List[int]) -> Set[str]:
    """URIs of the Examples upstream of these artifacts that no Examples were made from."""
    roots, seen, frontier = set(), set(artifact_ids), list(artifact_ids)
    while frontier:
        artifact_id = frontier.pop()
        for execution in _producers(store, artifact_id):
            inputs = _inputs(store, execution)
            if _is_examples(store, artifact_id) and not any(
                    _is_examples(store, artifact.id) for _, artifact in inputs):
                roots.add(store.get_artifacts_by_id([artifact_id])[0].uri)
            for _, artifact in inputs:
                if artifact.id not in seen:
                    seen.add(artifact.id)
                    frontier.append(artifact.id)
    return roots


def _producers(store, artifact_id: int) -> List[int]:
    return [event.execution_id for event in store.get_events_by_artifact_ids([artifact_id])
            if event.type in _OUTPUTS]


def _inputs(store, execution_id: int) -> List[Tuple[str, metadata_store_pb2.Artifact]]:
    events = [event for event in store.get_events_by_execution_ids([execution_id])
              if event.type in _INPUTS]
    artifacts = {artifact.id: artifact
                 for artifact in store.get_artifacts_by_id([e.artifact_id for e in events])}
    return [(event.path.steps[0].key if event.path.steps else "", artifacts[event.artifact_id])
            for event in events]


def _is_examples(store, artifact_id: int) -> bool:
    (artifact,) = store.get_artifacts_by_id([artifact_id])
    (artifact_type,) = store.get_artifact_types_by_id([artifact.type_id])
    return artifact_type.name == _EXAMPLES


def read_split(uri: str, split: str) -> Iterator[Tuple[List[str], List[str]]]:
    """Tokens and IOB2 tags of each sentence of one split of an Examples artifact."""
    paths = sorted(glob.glob(os.path.join(uri, f"Split-{split}", "*")))
    if not paths:
        raise TrainingDataError(f"{uri} has no {split} split (no files in Split-{split}/)")
    for path in paths:
        compression = "GZIP" if path.endswith(".gz") else ""
        # In batches: tf.data's cost per element is most of the time for single records.
        for batch in tf.data.TFRecordDataset(path, compression).batch(1024).as_numpy_iterator():
            for record in batch:
                feature = example_pb2.Example.FromString(record).features.feature
                yield ([token.decode("utf-8") for token in feature[TOKENS].bytes_list.value],
                       [tag.decode("utf-8") for tag in feature[NER_TAGS].bytes_list.value])


def split_profile(uri: str, split: str) -> Profile:
    profile = Profile()
    for tokens, tags in read_split(uri, split):
        profile.add(tokens, tags)
    return profile
