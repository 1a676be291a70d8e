# Pipeline image for Kubeflow Pipelines / Vertex AI Pipelines (KubeflowV2DagRunner's
# default_image). Based on the official TFX image of the version this project pins.
FROM tensorflow/tfx:1.16.0

WORKDIR /pipeline
# Installed in place (editable) so that the default paths the pipeline computes
# from its own location (data/schema, models/) are the ones in this image:
# pipeline/kubeflow_v2_runner.py rewrites local project paths to /pipeline.
COPY setup.py constraints.txt README.md ./
COPY contracts contracts
COPY modules modules
COPY pipeline pipeline
COPY components components
COPY serving serving
COPY data data
COPY scripts scripts
RUN python -m pip install --no-cache-dir -c constraints.txt -e . \
 && python -m pip check \
 && python scripts/fetch_minilm.py models/all-MiniLM-L6-v2
