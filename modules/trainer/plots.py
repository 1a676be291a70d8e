"""Loss and accuracy curves of train and eval, per epoch, as PNG files."""

import io
import os
from typing import Dict, List

import matplotlib
import tensorflow as tf

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend first)
from matplotlib.ticker import MaxNLocator  # noqa: E402


def save_curves(history: List[Dict[str, float]], directory: str) -> List[str]:
    """Writes loss.png and accuracy.png; returns their paths."""
    epochs = [entry["epoch"] for entry in history]
    paths = []
    for metric in ("loss", "accuracy"):
        figure, axes = plt.subplots(figsize=(6, 4))
        axes.plot(epochs, [entry[metric] for entry in history], marker="o", label="train")
        axes.plot(epochs, [entry[f"eval_{metric}"] for entry in history], marker="o",
                  label="eval")
        axes.set_xlabel("epoch (train: mean over the epoch; eval: at its end)")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylabel(f"{metric} (labelled word pieces only)")
        axes.set_title(f"Token classification {metric}")
        axes.legend()
        figure.tight_layout()
        path = os.path.join(directory, f"{metric}.png")
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=100)
        plt.close(figure)
        with tf.io.gfile.GFile(path, "wb") as handle:  # also on GCS
            handle.write(buffer.getvalue())
        paths.append(path)
    return paths
