"""The pipeline compiles for Vertex AI / Kubeflow v2 into a valid PipelineJob."""

import json

from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from pipeline.config import config_for_profile
from pipeline.kubeflow_v2_runner import compile_pipeline

IMAGE = "europe-docker.pkg.dev/my-project/ner/conll-ner:0.1.0"
BEAM_ARGS = ["--runner=DataflowRunner", "--project=my-project", "--region=europe-west4",
             "--temp_location=gs://my-bucket/tmp"]


def test_compiles_to_a_pipeline_job_with_every_component(shared_conll_dir, tmp_path):
    config = config_for_profile("main", data_dir=str(shared_conll_dir),
                                pipeline_root="gs://my-bucket/root",
                                serving_dir="gs://my-bucket/serving", beam_pipeline_args=BEAM_ARGS)
    output = tmp_path / "pipeline.json"
    compile_pipeline(config, IMAGE, str(output))

    job = json_format.ParseDict(json.loads(output.read_text()), pipeline_spec_pb2.PipelineJob())
    spec = json_format.ParseDict(json_format.MessageToDict(job.pipeline_spec),
                                 pipeline_spec_pb2.PipelineSpec())
    tasks = set(spec.root.dag.tasks)
    assert {"ConllExampleGen", "StatisticsGen", "ImportSchemaGen", "ExampleValidator",
            "ValidationGate", "Transform", "Trainer", "NerEvaluator", "Pusher"} <= tasks
    assert any(task.startswith("latest_blessed_model_resolver") for task in tasks)
    assert job.runtime_config.gcs_output_directory == "gs://my-bucket/root"

    text = output.read_text()
    executors = json.loads(text)["pipelineSpec"]["deploymentSpec"]["executors"]
    images = {executor["container"]["image"] for executor in executors.values()
              if "container" in executor}
    assert images == {IMAGE}
    for argument in BEAM_ARGS:
        assert argument in text
    assert "/pipeline/data/schema/schema.pbtxt" in text
    assert "/pipeline/models/all-MiniLM-L6-v2" in text
    assert "gs://my-bucket/serving" in text
