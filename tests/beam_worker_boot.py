"""A stand-in for Beam's container boot program (``/opt/apache/beam/boot``, a Go
binary shipped only in Beam's SDK images) for a machine without Docker.

Beam's external worker pool (``apache_beam.runners.worker.worker_pool_main
--container_executable=...``) starts it for each worker with the boot flags.
Like the real boot it asks the provision service for the pipeline options and
starts Beam's worker entry point (``sdk_worker_main``), which imports every
``--beam_plugins`` module before the harness starts; unlike it, it installs no
staged artifacts (the workers share this machine's environment).
"""

import argparse
import os
import sys

import grpc
from apache_beam.portability.api import beam_provision_api_pb2, beam_provision_api_pb2_grpc
from google.protobuf import json_format


def main() -> None:
    parser = argparse.ArgumentParser()
    for flag in ("id", "logging_endpoint", "artifact_endpoint", "provision_endpoint",
                 "control_endpoint"):
        parser.add_argument(f"--{flag}", default="")
    args, _ = parser.parse_known_args()
    provision = beam_provision_api_pb2_grpc.ProvisionServiceStub(
        grpc.insecure_channel(args.provision_endpoint))
    info = provision.GetProvisionInfo(beam_provision_api_pb2.GetProvisionInfoRequest(),
                                      metadata=[("worker_id", args.id)]).info
    control = info.control_endpoint.url or args.control_endpoint
    logging_url = info.logging_endpoint.url or args.logging_endpoint
    environment = {**os.environ, "WORKER_ID": args.id,
                   "PIPELINE_OPTIONS": json_format.MessageToJson(info.pipeline_options),
                   "CONTROL_API_SERVICE_DESCRIPTOR": f"url: '{control}'",
                   "LOGGING_API_SERVICE_DESCRIPTOR": f"url: '{logging_url}'"}
    os.execve(sys.executable,
              [sys.executable, "-m", "apache_beam.runners.worker.sdk_worker_main"], environment)


if __name__ == "__main__":
    main()
