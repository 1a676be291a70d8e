"""Writing matplotlib figures where TFX artifacts live (local paths or GCS)."""

import io

import matplotlib
import tensorflow as tf

matplotlib.use("Agg")  # no display where pipelines run
import matplotlib.pyplot as plt  # noqa: E402  (backend first)


def save_figure(figure, path: str) -> None:
    """Writes a matplotlib figure as PNG to any tf.io.gfile path and closes it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    with tf.io.gfile.GFile(path, "wb") as handle:
        handle.write(buffer.getvalue())
