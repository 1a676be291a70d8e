"""The standard Transform component, run by the executor that records payload_format."""

from tfx import v1 as tfx
from tfx.dsl.components.base import executor_spec

from components.transform import executor


class Transform(tfx.components.Transform):
    """Same inputs, outputs and behaviour as tfx.components.Transform."""

    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)
