"""The pipeline compiles for Vertex AI / Kubeflow v2 into a valid PipelineJob, offline:
nothing reads the data directory, the cloud or the Hugging Face Hub while it compiles."""

import json

import pytest
import tensorflow as tf
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from contracts.training import RESUME_CONFIG_KEY
from pipeline import cli
from pipeline.config import PROJECT_ROOT, config_for_profile
from pipeline.fingerprint import FINGERPRINT_KEY
from pipeline.kubeflow_v2_runner import compile_pipeline
from pipeline.vertex import ENABLE_VERTEX_KEY, TRAINING_ARGS_KEY, VERTEX_REGION_KEY
from tests.test_fingerprint import PROJECT_CODE_NODES

IMAGE = "europe-docker.pkg.dev/my-project/ner/conll-ner:0.1.0"
BEAM_ARGS = ["--runner=DataflowRunner", "--project=my-project", "--region=europe-west4",
             "--temp_location=gs://my-bucket/tmp"]
BEAM_STAGES = ("ConllExampleGen", "StatisticsGen", "Transform")
OFFLINE_COMPILE = [
    "compile", "--target", "vertex", "--image", IMAGE,
    "--data-dir", "gs://any-bucket/conll2003", "--pipeline-root", "gs://any-bucket/root",
    "--serving-dir", "gs://any-bucket/serving",
    *[f"--beam-pipeline-arg={arg}" for arg in BEAM_ARGS]]


@pytest.fixture
def offline(monkeypatch):
    """Any access to gs:// or to the Hugging Face Hub fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"compile touched the Hub: {args}")

    def guarded(original):
        def call(path, *args, **kwargs):
            if str(path).startswith("gs://"):
                raise AssertionError(f"compile touched {path}")
            return original(path, *args, **kwargs)
        return call
    for name in ("exists", "isdir", "listdir", "glob", "stat", "walk", "GFile"):
        monkeypatch.setattr(tf.io.gfile, name, guarded(getattr(tf.io.gfile, name)))
    import huggingface_hub
    monkeypatch.setattr(huggingface_hub, "snapshot_download", refuse)


def parsed(path):
    """The file as a PipelineJob proto (an error if it is not one) and as plain JSON."""
    text = path.read_text()
    job = json_format.ParseDict(json.loads(text), pipeline_spec_pb2.PipelineJob())
    json_format.ParseDict(json_format.MessageToDict(job.pipeline_spec),
                          pipeline_spec_pb2.PipelineSpec())
    return job, json.loads(text)


def executor_args(spec, node):
    return spec["pipelineSpec"]["deploymentSpec"]["executors"][f"{node}_executor"]["container"]


def task_parameter(spec, node, name):
    parameter = spec["pipelineSpec"]["root"]["dag"]["tasks"][node]["inputs"]["parameters"][name]
    return parameter["runtimeValue"]["constantValue"]["stringValue"]


def test_compiles_to_a_pipeline_job_with_every_component(shared_conll_dir, tmp_path):
    config = config_for_profile("main", data_dir=str(shared_conll_dir),
                                pipeline_root="gs://my-bucket/root",
                                serving_dir="gs://my-bucket/serving", beam_pipeline_args=BEAM_ARGS)
    output = tmp_path / "pipeline.json"
    compile_pipeline(config, IMAGE, str(output))

    job, spec = parsed(output)
    tasks = set(spec["pipelineSpec"]["root"]["dag"]["tasks"])
    assert {"ConllExampleGen", "StatisticsGen", "InventorySchemaGen", "ExampleValidator",
            "ValidationGate", "SpanDrift", "Transform", "Trainer", "NerEvaluator",
            "Pusher"} <= tasks
    assert "DriftGate" not in tasks
    assert any(task.startswith("baseline_model_resolver") for task in tasks)
    assert job.runtime_config.gcs_output_directory == "gs://my-bucket/root"

    text = output.read_text()
    executors = spec["pipelineSpec"]["deploymentSpec"]["executors"]
    images = {executor["container"]["image"] for executor in executors.values()
              if "container" in executor}
    assert images == {IMAGE}
    for argument in BEAM_ARGS:
        assert argument in text
    assert "/pipeline/data/schema/schema.pbtxt" in text
    assert "/pipeline/models/all-MiniLM-L6-v2" in text
    assert "gs://my-bucket/serving" in text
    # Code fingerprints are task parameters, which Vertex AI's cache key includes.
    for node in PROJECT_CODE_NODES:
        assert len(task_parameter(spec, node, FINGERPRINT_KEY)) == 64, node


def test_offline_compile_from_a_laptop_for_dataflow(offline, tmp_path, capsys):
    output = tmp_path / "pipeline.json"
    assert cli.main([*OFFLINE_COMPILE, "--output", str(output)]) == 0
    assert f"Wrote {output}" in capsys.readouterr().out

    job, spec = parsed(output)
    assert job.runtime_config.gcs_output_directory == "gs://any-bucket/root"
    text = output.read_text()
    for url in ("gs://any-bucket/conll2003", "gs://any-bucket/root", "gs://any-bucket/serving"):
        assert json.dumps(url)[1:-1] in text
    assert "gs:/any-bucket" not in text.replace("gs://", "")
    for node in BEAM_STAGES:
        args = executor_args(spec, node)["args"]
        assert f"--sdk_container_image={IMAGE}" in args, node
        assert "--beam_plugins=tensorflow_text" in args, node
        assert not any(arg.startswith("--direct_running_mode") for arg in args), node
    # The checkpoint is named, not read: resolved in the container when Transform runs.
    checkpoint = json.loads(task_parameter(spec, "Transform", "custom_config"))
    assert checkpoint["directory"] == "/pipeline/models/all-MiniLM-L6-v2"
    assert checkpoint["vocab_file"] == ""
    # Split files are found when ConllExampleGen runs, not now.
    input_config = json.loads(task_parameter(spec, "ConllExampleGen", "input_config"))
    assert {split["pattern"] for split in input_config["splits"]} == {"*"}

    # The Vertex AI SDK takes the file as it is (submitting needs credentials, not this).
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import aiplatform
    job = aiplatform.PipelineJob(
        display_name="conll-ner", template_path=str(output), project="my-project",
        location="europe-west4", credentials=AnonymousCredentials())
    assert job._gca_resource.runtime_config.gcs_output_directory == "gs://any-bucket/root"


def test_hub_checkpoint_stays_a_hub_id_and_the_trainer_goes_to_vertex(offline, tmp_path):
    output = tmp_path / "pipeline.json"
    assert cli.main([*OFFLINE_COMPILE, "--output", str(output),
                     "--checkpoint", "bert-base-cased@a1b2c3", "--trainer", "vertex",
                     "--vertex-project", "my-project", "--vertex-region", "europe-west4",
                     "--vertex-machine-type", "n1-standard-8",
                     "--vertex-accelerator-type", "NVIDIA_TESLA_T4",
                     "--vertex-accelerator-count", "2", "--vertex-replicas", "3"]) == 0
    _, spec = parsed(output)
    transform = json.loads(task_parameter(spec, "Transform", "custom_config"))
    assert transform["directory"] == "bert-base-cased@a1b2c3"
    assert transform["fingerprint"] == "name:bert-base-cased@a1b2c3"

    trainer = executor_args(spec, "Trainer")
    assert trainer["image"] == IMAGE
    assert trainer["args"][:2] == [
        "--executor_class_path",
        "tfx.extensions.google_cloud_ai_platform.trainer.executor.GenericExecutor"]
    custom_config = json.loads(task_parameter(spec, "Trainer", "custom_config"))
    assert custom_config["checkpoint"]["directory"] == "bert-base-cased@a1b2c3"
    assert custom_config[ENABLE_VERTEX_KEY] is True
    assert custom_config[VERTEX_REGION_KEY] == "europe-west4"
    machine = {"machine_type": "n1-standard-8", "accelerator_type": "NVIDIA_TESLA_T4",
               "accelerator_count": 2}
    container = {"image_uri": IMAGE}
    assert custom_config[TRAINING_ARGS_KEY] == {"project": "my-project", "worker_pool_specs": [
        {"machine_spec": machine, "replica_count": 1, "container_spec": container},
        {"machine_spec": machine, "replica_count": 2, "container_spec": container}],
        # A restarted worker restarts the job, which resumes from the Trainer's backup.
        "scheduling": {"restart_job_on_worker_restart": True}}
    # TFX hands these entries, the project taken out, to Vertex AI as the CustomJobSpec.
    from google.cloud.aiplatform_v1.types import CustomJobSpec
    job_spec = CustomJobSpec({key: value for key, value in custom_config[TRAINING_ARGS_KEY].items()
                              if key != "project"})
    assert job_spec.scheduling.restart_job_on_worker_restart
    pipeline_root = OFFLINE_COMPILE[OFFLINE_COMPILE.index("--pipeline-root") + 1]
    assert custom_config[RESUME_CONFIG_KEY]["root"] == f"{pipeline_root}/checkpoints/Trainer"


def test_without_trainer_vertex_the_trainer_stays_in_the_pipeline_container(offline, tmp_path):
    output = tmp_path / "pipeline.json"
    assert cli.main([*OFFLINE_COMPILE, "--output", str(output), "--profile", "quick"]) == 0
    _, spec = parsed(output)
    assert executor_args(spec, "Trainer")["args"][:2] == [
        "--executor_class_path", "tfx.components.trainer.executor.GenericExecutor"]
    custom_config = json.loads(task_parameter(spec, "Trainer", "custom_config"))
    assert not [key for key in custom_config if key.startswith("ai_platform")]
    # The quick profile's tiny checkpoint is one the image bakes.
    assert custom_config["checkpoint"]["directory"] == "/pipeline/models/tiny-bert"


def test_span_folders_compile_offline_with_an_explicit_layout(offline, tmp_path):
    output = tmp_path / "pipeline.json"
    assert cli.main([*OFFLINE_COMPILE, "--output", str(output), "--span-layout", "numbered",
                     "--train-spans", "3", "--span", "2"]) == 0
    _, spec = parsed(output)
    # TFX's driver resolves the span in the container; every split has the same pattern.
    input_config = json.loads(task_parameter(spec, "ConllExampleGen", "input_config"))
    assert [(split["name"], split["pattern"]) for split in input_config["splits"]] == [
        ("train", "span-{SPAN}/*"), ("eval", "span-{SPAN}/*"), ("test", "span-{SPAN}/*")]
    range_config = json.loads(task_parameter(spec, "ConllExampleGen", "range_config"))
    assert range_config == {"static_range": {"start_span_number": 2, "end_span_number": 2}}
    driver = executor_args(spec, "ConllExampleGen")["lifecycle"]["preCacheCheck"]["command"]
    assert "tfx.orchestration.kubeflow.v2.file_based_example_gen.driver" in driver
    custom_config = task_parameter(spec, "ConllExampleGen", "custom_config")
    for setting in ('"span_layout": "numbered"', '"train_spans": "3"', '"data_fingerprint": ""'):
        assert setting in custom_config


def test_warm_start_from_the_latest_blessed_model_compiles_with_spans(offline, tmp_path):
    output = tmp_path / "pipeline.json"
    assert cli.main([*OFFLINE_COMPILE, "--output", str(output), "--span-layout", "numbered",
                     "--train-spans", "2", "--warm-start"]) == 0
    _, spec = parsed(output)
    tasks = spec["pipelineSpec"]["root"]["dag"]["tasks"]
    # Vertex splits a LatestBlessedModelStrategy resolver into two queries.
    resolver = "warm_start_model_resolver-model-resolver"
    assert {resolver, "warm_start_model_resolver-model-blessing-resolver"} <= set(tasks)
    base_model = tasks["Trainer"]["inputs"]["artifacts"]["base_model"]["taskOutputArtifact"]
    assert base_model == {"outputArtifactKey": "model", "producerTask": resolver}
    training = json.loads(task_parameter(spec, "Trainer", "custom_config"))["training"]
    assert training["warm_start"] is True and training["warm_epochs"] >= 1


def test_without_warm_start_the_trainer_has_no_base_model(offline, tmp_path):
    output = tmp_path / "pipeline.json"
    assert cli.main([*OFFLINE_COMPILE, "--output", str(output)]) == 0
    _, spec = parsed(output)
    assert "base_model" not in spec["pipelineSpec"]["root"]["dag"]["tasks"]["Trainer"][
        "inputs"]["artifacts"]


def dag_task(spec, node):
    return spec["pipelineSpec"]["root"]["dag"]["tasks"][node]


def test_the_drift_check_and_its_gate_compile(offline, tmp_path):
    output = tmp_path / "pipeline.json"
    assert cli.main([*OFFLINE_COMPILE, "--output", str(output), "--span-layout", "numbered",
                     "--train-spans", "2", "--drift-gate"]) == 0
    _, spec = parsed(output)
    # SpanDrift reads the span folders where it runs, as ConllExampleGen does.
    assert task_parameter(spec, "SpanDrift", "data_dir") == "gs://any-bucket/conll2003"
    assert task_parameter(spec, "SpanDrift", "span_layout") == "numbered"
    assert "DriftGate" in dag_task(spec, "Transform")["dependentTasks"]
    drift = dag_task(spec, "DriftGate")["inputs"]["artifacts"]["drift"]["taskOutputArtifact"]
    assert drift == {"producerTask": "SpanDrift", "outputArtifactKey": "drift"}
    evaluator_drift = dag_task(spec, "NerEvaluator")["inputs"]["artifacts"]["drift"]
    assert evaluator_drift["taskOutputArtifact"]["producerTask"] == "SpanDrift"


def test_a_vertex_schedule_sends_the_compiled_pipeline_with_its_cron(offline, tmp_path):
    """The README's schedule recipe, up to the API call: the request the Vertex AI SDK
    would send, captured in place of its client (creating it needs a GCP project)."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import aiplatform
    output = tmp_path / "pipeline.json"
    assert cli.main([*OFFLINE_COMPILE, "--output", str(output), "--span-layout", "numbered",
                     "--train-spans", "3"]) == 0
    job = aiplatform.PipelineJob(display_name="conll-ner", template_path=str(output),
                                 project="my-project", location="europe-west4",
                                 enable_caching=True, credentials=AnonymousCredentials())
    schedule = aiplatform.PipelineJobSchedule(job, display_name="conll-ner-weekly",
                                              credentials=AnonymousCredentials())
    sent = {}

    class Client:
        def create_schedule(self, parent, schedule, timeout):
            sent.update(parent=parent, schedule=schedule)
            return type(schedule)(schedule, name=f"{parent}/schedules/1")
    schedule.api_client = Client()
    schedule.create(cron="TZ=Europe/Berlin 0 3 * * 1", max_concurrent_run_count=1)
    assert sent["parent"] == "projects/my-project/locations/europe-west4"
    request = sent["schedule"]
    assert (request.cron, request.max_concurrent_run_count, request.display_name) == (
        "TZ=Europe/Berlin 0 3 * * 1", 1, "conll-ner-weekly")
    pipeline_job = request.create_pipeline_job_request.pipeline_job
    assert pipeline_job.runtime_config.gcs_output_directory == "gs://any-bucket/root"
    assert "SpanDrift" in pipeline_job.pipeline_spec["root"]["dag"]["tasks"]


def test_tfx_keys_are_the_ones_pipeline_vertex_writes():
    from tfx import v1 as tfx
    platform = tfx.extensions.google_cloud_ai_platform
    assert (platform.ENABLE_VERTEX_KEY, platform.VERTEX_REGION_KEY, platform.TRAINING_ARGS_KEY
            ) == (ENABLE_VERTEX_KEY, VERTEX_REGION_KEY, TRAINING_ARGS_KEY)


@pytest.mark.parametrize("extra, message", [
    (["--trainer", "vertex", "--vertex-region", "r", "--vertex-machine-type", "m"],
     "--trainer vertex needs --vertex-project"),
    (["--vertex-project", "p"], "--vertex-project applies only with --trainer vertex"),
    (["--trainer", "gpu"], "--trainer must be 'pipeline' or 'vertex', not 'gpu'"),
    (["--trainer", "vertex", "--vertex-project", "p", "--vertex-region", "r",
      "--vertex-machine-type", "m", "--vertex-replicas", "0"],
     "--vertex-replicas must be at least 1, not 0"),
    (["--trainer", "vertex", "--vertex-project", "p", "--vertex-region", "r",
      "--vertex-machine-type", "m", "--vertex-accelerator-type", "NVIDIA_TESLA_T4"],
     "--vertex-accelerator-type and --vertex-accelerator-count (at least 1) go together"),
    (["--beam-workers", "2"], "--beam-workers applies to the DirectRunner only"),
    (["--checkpoint", "gs://b/bert"], "--checkpoint gs://b/bert: checkpoints are read from"),
    (["--checkpoint", str(PROJECT_ROOT / "models" / "some-other-bert")],
     "bake this checkpoint into the image"),
    (["--train-spans", "3"], "--train-spans needs span folders in --data-dir (span-1/, ... or "
                             "2026-12-01/, ...); compile reads no data: pass --span-layout "
                             "numbered or dated"),
    (["--span-layout", "dated", "--span", "3"], "--span 3: dated span folders are named "
                                                "YYYY-MM-DD; give a date YYYY-MM-DD"),
])
def test_bad_compile_options_end_in_one_line_and_exit_code_2(extra, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main([*OFFLINE_COMPILE, "--output", str(tmp_path / "p.json"), *extra])
    assert caught.value.code == 2
    error = capsys.readouterr().err
    assert message in error
    assert error.count("\n") == 1 and "Traceback" not in error
    assert not (tmp_path / "p.json").exists()


def test_a_local_checkpoint_outside_the_image_is_refused(tmp_path, capsys):
    (tmp_path / "my-bert").mkdir()
    with pytest.raises(SystemExit) as caught:
        cli.main([*OFFLINE_COMPILE, "--output", str(tmp_path / "p.json"),
                  "--checkpoint", str(tmp_path / "my-bert")])
    assert caught.value.code == 2
    assert "bake this checkpoint into the image" in capsys.readouterr().err
