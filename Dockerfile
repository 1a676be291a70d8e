# One image for every place the pipeline's code runs in the cloud:
#  * the component image of Vertex AI Pipelines / Kubeflow Pipelines (KubeflowV2DagRunner's
#    default_image; the compiled spec gives each step its command),
#  * the Dataflow worker image (--sdk_container_image, which `ner-pipeline compile` adds
#    when the Beam runner is Dataflow; Dataflow starts /opt/apache/beam/boot, the ENTRYPOINT),
#  * the Vertex AI Training image of `--trainer vertex` (each replica runs
#    `python -m tfx.scripts.run_executor`, the command TFX sets).
# Based on the official TFX image of the version this project pins.
FROM tensorflow/tfx:1.16.0

# Beam's worker boot program, from the SDK image of the Beam release in constraints.txt
# and the Python of the TFX image (3.10).
COPY --from=apache/beam_python3.10_sdk:2.59.0 /opt/apache/beam /opt/apache/beam

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
# tensorflow-text is named explicitly: the TFX image does not bring it, and the
# Transform graph, the Beam workers (--beam_plugins=tensorflow_text) and the exported
# model all need its ops. The checkpoints the image bakes are the offline MiniLM
# (main profile) and the tiny random BERT (quick profile); other checkpoints are
# Hugging Face Hub ids, downloaded where Transform and the Trainer run.
RUN python -m pip install --no-cache-dir -c constraints.txt -e . tensorflow-text \
 && python -m pip check \
 && python scripts/fetch_minilm.py models/all-MiniLM-L6-v2 \
 && python -c "from contracts.checkpoint import write_tiny_checkpoint as w; w('models/tiny-bert', 'models/all-MiniLM-L6-v2')"

ENTRYPOINT ["/opt/apache/beam/boot"]
