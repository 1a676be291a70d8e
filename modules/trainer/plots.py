"""Training curves as PNG files: loss and accuracy of train and eval per epoch, and
the training loss per step with eval entity F1 per epoch."""

import os
from typing import Dict, List, Optional

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from contracts.files import EPOCH_CURVES, STEP_CURVE
from modules.figures import save_figure




def save_step_curve(step_losses: Dict, history: List[Dict[str, float]], directory: str,
                    best_epoch: Optional[int] = None) -> str:
    """Writes training_curve.png: the training loss against the optimizer step (one
    point per ``step_losses["every"]`` steps, log scale), eval loss at each epoch's
    end on the same axis and eval entity F1 per epoch on a second axis."""
    figure, loss_axes = plt.subplots(figsize=(9, 4.8))
    every = step_losses["every"]
    loss_axes.plot(step_losses["steps"], step_losses["losses"], color="tab:blue", linewidth=1.2,
                   label=f"train loss (mean of each {every} steps)" if every > 1
                   else "train loss (each step)")
    epoch_steps = [entry["step"] for entry in history if "step" in entry]
    if len(epoch_steps) == len(history):
        loss_axes.plot(epoch_steps, [entry["eval_loss"] for entry in history], linestyle="none",
                       marker="s", color="tab:orange", label="eval loss (epoch end)")
    positive = [value for value in step_losses["losses"] if value > 0]
    if positive and max(positive) / min(positive) > 20:
        loss_axes.set_yscale("log")
    loss_axes.set_xlabel("optimizer step")
    loss_axes.set_ylabel("loss (labelled word pieces only)")
    loss_axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    loss_axes.grid(True, which="major", alpha=0.3)
    handles, labels = loss_axes.get_legend_handles_labels()
    if len(epoch_steps) == len(history) and history:
        f1_axes = loss_axes.twinx()
        f1 = [entry["eval_entity_f1"] for entry in history]
        f1_axes.plot(epoch_steps, f1, marker="o", color="tab:green", linewidth=1.5,
                     label="eval entity F1 (epoch end)")
        for entry, step in zip(history, epoch_steps):
            best = entry["epoch"] == best_epoch
            f1_axes.annotate(f"epoch {entry['epoch']}{' (kept)' if best else ''}\n"
                             f"F1 {entry['eval_entity_f1']:.4f}",
                             (step, entry["eval_entity_f1"]), textcoords="offset points",
                             xytext=(0, -30), ha="right" if step == max(epoch_steps) else "center",
                             fontsize=8, color="tab:green",
                             fontweight="bold" if best else "normal",
                             bbox={"boxstyle": "round,pad=0.2", "facecolor": "white",
                                   "edgecolor": "none", "alpha": 0.85})
        for step in epoch_steps:
            loss_axes.axvline(step, color="grey", linestyle=":", linewidth=0.8)
        low = min(f1)
        f1_axes.set_ylim(max(0.0, low - max(0.15, (1 - low) * 0.6)), 1.0)
        f1_axes.set_ylabel("eval entity F1 (seqeval)", color="tab:green")
        f1_axes.tick_params(axis="y", colors="tab:green")
        more_handles, more_labels = f1_axes.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    figure.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8.5,
                  frameon=False)
    loss_axes.set_title("Training loss per step, eval entity F1 per epoch")
    figure.tight_layout(rect=(0, 0.05, 1, 1))
    path = os.path.join(directory, STEP_CURVE)
    save_figure(figure, path)
    return path


def save_curves(history: List[Dict[str, float]], directory: str) -> List[str]:
    """Writes contracts.files.EPOCH_CURVES (loss, accuracy); returns their paths."""
    epochs = [entry["epoch"] for entry in history]
    paths = []
    for metric, file_name in zip(("loss", "accuracy"), EPOCH_CURVES):
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
        path = os.path.join(directory, file_name)
        save_figure(figure, path)
        paths.append(path)
    return paths
