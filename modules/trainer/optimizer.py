"""The optimizer: AdamW with warmup and linear decay, updated by fused kernels.

transformers' create_optimizer gives Keras' new Adam when weight decay is 0
(our default). On CPU that Adam updates each variable with a dozen separate
element-wise ops (it compiles them with XLA only on GPU), and the word-piece
table's sparse gradient makes it rewrite the whole table several times a
step. Keras' legacy Adam, which transformers' AdamWeightDecay extends, updates
a dense gradient in one fused kernel. The same Adam arithmetic either way
(benchmarks.training_profile shows where the step's time goes).
"""

import tensorflow as tf
from transformers import create_optimizer
from transformers.optimization_tf import AdamWeightDecay

from contracts.training import TrainingConfig

# create_optimizer's defaults (AdamWeightDecay's own epsilon is 1e-7).
_ADAM_EPSILON = 1e-8
_NOT_DECAYED = ["LayerNorm", "layer_norm", "bias"]


class FusedAdamWeightDecay(AdamWeightDecay):
    """AdamWeightDecay that turns a sparse (embedding) gradient into a dense one,
    so that the fused dense update runs instead of the sparse path's many passes
    over the table. Rows a batch does not touch get a zero gradient, which is
    what dense Adam (and Keras' sparse Adam, which decays every row) does."""

    def _resource_apply_sparse_duplicate_indices(self, grad, handle, indices, **kwargs):
        rows = tf.shape(handle, out_type=indices.dtype)[0]
        return self._resource_apply_dense(
            tf.math.unsorted_segment_sum(grad, indices, rows), handle, **kwargs)


def schedule_arguments(hp: TrainingConfig, total_steps: int) -> dict:
    """create_optimizer's learning-rate arguments: ``hp.learning_rate`` with
    ``hp.warmup_ratio`` warmup, then linear decay to 0 (or a constant rate)."""
    return {"init_lr": hp.learning_rate, "num_train_steps": total_steps,
            "num_warmup_steps": int(hp.warmup_ratio * total_steps),
            "min_lr_ratio": 1.0 if hp.lr_schedule == "constant" else 0.0}


def make_optimizer(hp: TrainingConfig, total_steps: int) -> FusedAdamWeightDecay:
    """AdamW on the schedule of ``schedule_arguments``, global-norm clipping at
    ``hp.clip_norm`` (0: none)."""
    _, schedule = create_optimizer(**schedule_arguments(hp, total_steps))
    return FusedAdamWeightDecay(
        learning_rate=schedule, weight_decay_rate=hp.weight_decay, epsilon=_ADAM_EPSILON,
        global_clipnorm=hp.clip_norm or None, exclude_from_weight_decay=_NOT_DECAYED)
