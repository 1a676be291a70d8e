"""Names of files one component writes and another reads."""

# Beside ConllExampleGen's splits: counts per split and the files read.
CONLL_STATS_FILE = "conll_stats.json"
# In the Trainer's model_run: the training record and the curves the Evaluator's
# report shows (the per-step curve first).
HISTORY_FILE = "history.json"
STEP_CURVE = "training_curve.png"
EPOCH_CURVES = ("loss.png", "accuracy.png")
# Beside the Trainer's Format-Serving export (the Pusher copies only that): what a
# warm start needs to know about the model (modules/trainer/warm_start.py).
TRAINING_RECORD_FILE = "training_record.json"
