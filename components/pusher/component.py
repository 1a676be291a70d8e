"""IdempotentPusher: the standard Pusher with an executor that pushes each model once."""

from tfx import v1 as tfx
from tfx.dsl.components.base import executor_spec

from components.pusher import executor


class IdempotentPusher(tfx.components.Pusher):
    """Same inputs, outputs and blessing rule as tfx.components.Pusher."""

    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)
