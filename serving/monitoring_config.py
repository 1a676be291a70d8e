"""Reads TF Serving's ``--monitoring_config_file``: where to serve Prometheus metrics, if at all.

The file is a MonitoringConfig text proto, the same file the real server
takes (tensorflow_serving/config/monitoring_config.proto), for example::

    prometheus_config { enable: true, path: "/monitoring/prometheus/metrics" }

The ``tensorflow-serving-api`` wheel does not ship that proto's Python module,
so its two messages are declared here and the file is parsed by protobuf's
own text-format parser: syntax and unknown fields fail as they do in TF Serving.
"""

from typing import Optional

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format

# TF Serving's default path when prometheus_config.path is empty
# (PrometheusExporter::kPrometheusPath in tensorflow_serving/util/prometheus_exporter.cc).
DEFAULT_PATH = "/monitoring/prometheus/metrics"


class MonitoringConfigError(ValueError):
    """The file cannot be read, is not a MonitoringConfig, or names an unusable path."""


def _monitoring_config_class():
    field = descriptor_pb2.FieldDescriptorProto
    proto = descriptor_pb2.FileDescriptorProto(
        name="tensorflow_serving/config/monitoring_config.proto", package="tensorflow.serving",
        syntax="proto3")
    prometheus = proto.message_type.add(name="PrometheusConfig")
    prometheus.field.add(name="enable", number=1, type=field.TYPE_BOOL,
                         label=field.LABEL_OPTIONAL)
    prometheus.field.add(name="path", number=2, type=field.TYPE_STRING,
                         label=field.LABEL_OPTIONAL)
    monitoring = proto.message_type.add(name="MonitoringConfig")
    monitoring.field.add(name="prometheus_config", number=1, type=field.TYPE_MESSAGE,
                         type_name=".tensorflow.serving.PrometheusConfig",
                         label=field.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()  # private: cannot clash with another definition
    pool.Add(proto)
    return message_factory.MessageFactory(pool).GetPrototype(
        pool.FindMessageTypeByName("tensorflow.serving.MonitoringConfig"))


MonitoringConfig = _monitoring_config_class()


def metrics_path(config_file: Optional[str]) -> Optional[str]:
    """The URL path of the metrics page; None (no page) without a file or with enable: false."""
    if config_file is None:
        return None
    try:
        with open(config_file, encoding="utf-8") as handle:
            config = text_format.Parse(handle.read(), MonitoringConfig())
    except (OSError, UnicodeDecodeError, text_format.ParseError) as error:
        raise MonitoringConfigError(f"--monitoring_config_file {config_file}: {error}") from None
    prometheus = config.prometheus_config
    if not prometheus.enable:
        return None
    path = prometheus.path or DEFAULT_PATH
    if not path.startswith("/"):
        raise MonitoringConfigError(
            f"--monitoring_config_file {config_file}: prometheus_config.path must start with "
            f"'/', not {path!r}")
    return path
