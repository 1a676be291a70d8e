"""Module files for the standard TFX Transform and Trainer components.

``modules/transform`` holds ``preprocessing_fn`` and the in-graph tokenizer,
``modules/trainer`` holds ``run_fn``, the model and the exported serving
graph. Custom components live in ``components/``.
"""
