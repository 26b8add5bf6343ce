"""The dltune command protocol for Python programs, with no dependencies.

Copy this file beside your training script. dltune starts the script for
each run of a trial; the script reads its parameters, resumes from its
checkpoint, trains up to epochs() and reports every epoch:

    import dltune
    p = dltune.params()                 # {"lr": 0.01, "width": 64, ...}
    start = load_checkpoint(dltune.checkpoint_dir())  # epochs it holds
    if start > dltune.epochs_done():    # ahead of what dltune recorded:
        start = 0                       # start over (dltune skips repeats)
    for epoch in range(start + 1, dltune.epochs() + 1):
        train_loss = train_one_epoch()
        val_loss, acc = validate()
        dltune.report(epoch, val_loss, train_loss=train_loss, val_accuracy=acc)
        save_checkpoint(dltune.checkpoint_dir(), epoch)  # after reporting

Outside dltune (no DLTUNE_ variables), params() returns the defaults you
give it, epochs() its default, and report() prints to stderr: the script
runs by hand unchanged.
"""

import json
import math
import os
import sys

_report = None


def params(defaults=None):
    """The trial's parameters, over defaults (a dict) if given."""
    p = dict(defaults or {})
    path = os.environ.get("DLTUNE_PARAMS")
    if path:
        with open(path) as f:
            p.update(json.load(f))
    return p


def epochs(default=1):
    """The number of epochs to train up to, in all."""
    return int(os.environ.get("DLTUNE_EPOCHS", default))


def epochs_done():
    """The epochs dltune has recorded: resume from a checkpoint at most this far."""
    return int(os.environ.get("DLTUNE_EPOCHS_DONE", 0))


def checkpoint_dir(default="checkpoint"):
    """The trial's checkpoint directory, kept between runs of the trial."""
    d = os.environ.get("DLTUNE_CHECKPOINT_DIR", default)
    os.makedirs(d, exist_ok=True)
    return d


def threads(default=None):
    """The trial's share of the cores (OMP_NUM_THREADS is set to it too)."""
    n = os.environ.get("DLTUNE_THREADS")
    return int(n) if n else default


def seed(default=0):
    """The trial's seed."""
    return int(os.environ.get("DLTUNE_SEED", default))


def report(epoch, val_loss, **metrics):
    """Report a finished epoch (1-based): its validation loss and any of
    train_loss, val_accuracy and lr, and any other numbers by name (at
    most 32, named like identifiers), as one JSON line on the report
    descriptor, where the script's own prints cannot mix in."""
    global _report
    line = {"epoch": int(epoch), "val_loss": float(val_loss)}
    for k, v in metrics.items():
        line[k] = float(v)
    bad = [k for k, v in line.items() if isinstance(v, float) and not math.isfinite(v)]
    text = json.dumps(line, allow_nan=True) + "\n"
    fd = os.environ.get("DLTUNE_REPORT_FD")
    if not fd:
        sys.stderr.write("dltune report: " + text)
        return
    if _report is None:
        _report = os.fdopen(int(fd), "w", buffering=1)
    _report.write(text)  # dltune fails the trial on a non-finite value
    _report.flush()
    if bad:
        sys.exit("dltune: %s not finite at epoch %d" % (", ".join(bad), epoch))
