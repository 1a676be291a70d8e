"""Installs the CoNLL NER TFX pipeline. Exact versions live in constraints.txt."""

from setuptools import find_packages, setup

setup(
    name="conll-ner-tfx",
    version="0.1.0",
    description="Production TFX pipeline for BERT named-entity recognition on CoNLL data",
    python_requires=">=3.10,<3.11",
    packages=find_packages(include=["contracts*", "modules*", "components*", "pipeline*", "serving*"]),
    install_requires=[
        "tfx==1.16.0",
        "apache-beam[gcp]==2.59.0",  # the Beam TFX 1.16 was tested with; 2.74+ drops dill
        "tensorflow==2.16.2",
        "tensorflow-text==2.16.1",
        "tensorflow-transform==1.16.0",
        "tensorflow-data-validation==1.16.1",
        "tensorflow-model-analysis==0.47.1",
        "tf-keras==2.16.0",  # transformers' TF models need Keras 2
        "transformers==4.57.6",  # 5.x has no TensorFlow models
        "safetensors",
        "seqeval==1.2.2",
        # KubeflowV2DagRunner only needs the pipeline-spec protos; the kfp SDK
        # itself (2.x) would pull protobuf 4+, which TFX 1.16 cannot use.
        "kfp-pipeline-spec==0.2.2",
        "matplotlib",
        # The Evaluator's error analysis (components/ner_evaluator/error_analysis.py); the
        # version installed with TFX 1.16 (tensorflow-data-validation needs pandas < 2).
        "pandas==1.5.3",
        "protobuf==3.20.3",
        "numpy==1.26.4",
        "fastapi==0.162.5",  # serving/: local TF Serving REST stand-in
        "uvicorn==0.54.0",
        "prometheus_client==0.26.0",  # serving/: TF Serving's Prometheus metrics page
    ],
    extras_require={"dev": ["pytest"]},
    entry_points={"console_scripts": ["ner-pipeline=pipeline.cli:main"]},
)
