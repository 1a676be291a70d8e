"""The Beam options every Beam-based component gets, derived from the user's ones.

Three things are added unless the user set them:

* ``--beam_plugins=tensorflow_text`` (one flag per module): Beam's worker
  entry point (``apache_beam.runners.worker.sdk_worker_main``, used by the
  DirectRunner's worker processes and by Dataflow) imports each plugin before
  the harness starts. tf.Transform 1.16 loads the transform SavedModel before
  anything imports tensorflow_text, so without this a separate worker process
  fails with ``Op type not registered 'NormalizeUTF8'``. In process it costs
  nothing (the module is already imported).
* On the DirectRunner, the running mode: ``--beam-workers`` 0 or 1 keeps every
  stage in this process (``in_memory``); N > 1 starts N worker processes
  (``multi_processing``).
* On Dataflow, ``--sdk_container_image``: the pipeline image, which holds the
  project code and tensorflow-text, is also the workers' image.

Pure Python: the CLI checks options with it before anything heavy is imported.
"""

from typing import List, Optional, Sequence

BEAM_PLUGINS = ("tensorflow_text",)
DIRECT_RUNNERS = ("DirectRunner", "direct", "SwitchingDirectRunner", "BundleBasedDirectRunner")
DATAFLOW_RUNNERS = ("DataflowRunner", "dataflow")


def option_value(args: Sequence[str], name: str) -> Optional[str]:
    """The last value given to ``--name=value`` in ``args`` (None if absent)."""
    values = [arg.split("=", 1)[1] for arg in args if arg.startswith(f"--{name}=")]
    return values[-1] if values else None


def has_option(args: Sequence[str], name: str) -> bool:
    return any(arg == f"--{name}" or arg.startswith(f"--{name}=") for arg in args)


def runner(args: Sequence[str]) -> str:
    """The Beam runner the options select; Beam's default is the DirectRunner."""
    return option_value(args, "runner") or "DirectRunner"


def is_direct(args: Sequence[str]) -> bool:
    return runner(args) in DIRECT_RUNNERS


def is_dataflow(args: Sequence[str]) -> bool:
    return runner(args).rsplit(".", 1)[-1] in DATAFLOW_RUNNERS


# Options that name the code Beam workers install; without one, TFX packages its
# own installation into a temporary sdist for every Beam stage
# (tfx.utils.dependency_utils.make_beam_dependency_flags).
DEPENDENCY_OPTIONS = ("extra_package", "extra_packages", "setup_file", "requirements_file",
                      "worker_harness_container_image", "sdk_container_image")


def has_dependency_option(args: Sequence[str]) -> bool:
    return any(has_option(args, name) for name in DEPENDENCY_OPTIONS)


def with_setup_file(args: Sequence[str], setup_file: str) -> List[str]:
    """On the DirectRunner with no dependency option, ``setup_file`` (the project's)
    as the dependency: the DirectRunner installs nothing, and without it TFX copies
    its own installation into a temporary sdist for every Beam stage (about 50 MB
    and 10 s each)."""
    if is_direct(args) and not has_dependency_option(args):
        return [*args, f"--setup_file={setup_file}"]
    return list(args)


def check(args: Sequence[str], beam_workers: int) -> None:
    """Raises ValueError (naming the option) for combinations that cannot work."""
    if beam_workers > 1 and not is_direct(args):
        raise ValueError(f"--beam-workers applies to the DirectRunner only, not to "
                         f"--runner={runner(args)} (set that runner's own worker options)")
    if beam_workers > 1 and has_option(args, "direct_running_mode"):
        raise ValueError("--beam-workers and --beam-pipeline-arg=--direct_running_mode=... "
                         "both choose the DirectRunner's mode; give one of them")


def plugin_args(args: Sequence[str]) -> List[str]:
    """One ``--beam_plugins`` flag per module not yet named by ``args``."""
    given = {arg.split("=", 1)[1] for arg in args if arg.startswith("--beam_plugins=")}
    return [f"--beam_plugins={module}" for module in BEAM_PLUGINS if module not in given]


def direct_runner_args(beam_workers: int) -> List[str]:
    if beam_workers <= 1:
        return ["--direct_running_mode=in_memory"]
    return ["--direct_running_mode=multi_processing", f"--direct_num_workers={beam_workers}"]


def beam_pipeline_args(user_args: Sequence[str], beam_workers: int,
                       image: Optional[str] = None) -> List[str]:
    """``user_args`` plus the plugin flags, the DirectRunner's mode and, on Dataflow,
    the worker image (when ``image`` is given); options the user gave win."""
    args = list(user_args) + plugin_args(user_args)
    if is_direct(args) and not has_option(args, "direct_running_mode"):
        args += direct_runner_args(beam_workers)
    if is_dataflow(args) and image and not (has_option(args, "sdk_container_image")
                                            or has_option(args, "worker_harness_container_image")):
        args.append(f"--sdk_container_image={image}")
    return args
