"""Shared pieces of the example project: the fixed data split, argument parsing and result output.

Invariants:
- The split is a pure function of SPLIT_SEED, so train.py, evaluate.py, detect_drift.py and score.py agree on
  which rows are training (the drift reference), validation (metrics logged at training) and holdout
  (evaluate.py's job check) without passing files around.
- Every script prints exactly one JSON object as its last stdout line (and writes it to --result-file when
  given); callers such as Stagecraft's local job runner parse that line.
- Exit codes: 0 success, 1 the check failed (below threshold / drift found with --fail-on-drift),
  2 bad arguments or setup (argparse also uses 2), 3 an external call failed (MLflow, Stagecraft).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import accuracy_score, f1_score, log_loss, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import train_test_split

MODEL_NAME = "breast-cancer-classifier"
EXPERIMENT_NAME = "breast-cancer-classifier"
SPLIT_SEED = 20240611
HERE = Path(__file__).resolve().parent

EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_EXTERNAL = 3


@dataclass(frozen=True)
class Split:
    X: pd.DataFrame
    y: pd.Series


@dataclass(frozen=True)
class Splits:
    train: Split
    validation: Split
    holdout: Split
    target_names: list[str]


def load_splits() -> Splits:
    """60 % train, 20 % validation, 20 % holdout, stratified on the label (1 = benign, 0 = malignant)."""
    bunch = load_breast_cancer(as_frame=True)
    X: pd.DataFrame = bunch.data
    y: pd.Series = bunch.target
    X_train, X_rest, y_train, y_rest = train_test_split(X, y, test_size=0.4, stratify=y, random_state=SPLIT_SEED)
    X_val, X_hold, y_val, y_hold = train_test_split(
        X_rest, y_rest, test_size=0.5, stratify=y_rest, random_state=SPLIT_SEED
    )
    return Splits(
        train=Split(X_train, y_train),
        validation=Split(X_val, y_val),
        holdout=Split(X_hold, y_hold),
        target_names=[str(n) for n in bunch.target_names],
    )


def classification_metrics(y: pd.Series, proba: np.ndarray) -> dict[str, float]:
    """The metrics train.py logs (validation rows) and evaluate.py checks (holdout rows), under the names the
    policy's thresholds use (accuracy, roc_auc, log_loss, ...); class 1 is predicted at probability >= 0.5."""
    pred = (proba >= 0.5).astype(np.int64)
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "roc_auc": float(roc_auc_score(y, proba)),
        "log_loss": float(log_loss(y, proba)),
        "f1": float(f1_score(y, pred)),
        "precision": float(precision_score(y, pred)),
        "recall": float(recall_score(y, pred)),
    }


def parser(description: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(description=description, allow_abbrev=False)


def add(p: argparse.ArgumentParser, name: str, **kwargs: Any) -> None:
    """Adds `--some-name` and its alias `--some_name`: Stagecraft passes policy parameters as `--<key> <value>`
    with the key exactly as written in the policy, and policies tend to use snake_case."""
    dashed = "--" + name.replace("_", "-")
    snake = "--" + name.replace("-", "_")
    flags = [dashed] if dashed == snake else [dashed, snake]
    p.add_argument(*flags, dest=name.replace("-", "_"), **kwargs)


def add_tracking_args(p: argparse.ArgumentParser) -> None:
    add(p, "tracking-uri", default=os.environ.get("MLFLOW_TRACKING_URI"),
        help="MLflow tracking server URL (default: $MLFLOW_TRACKING_URI)")
    add(p, "model-name", default=os.environ.get("STAGECRAFT_MODEL_NAME", MODEL_NAME), help="registered model name")
    add(p, "result-file", default=None, help="also write the JSON result to this file")


def require_tracking_uri(args: argparse.Namespace) -> str:
    uri = args.tracking_uri
    if not uri:
        fail(EXIT_USAGE, "--tracking-uri (or MLFLOW_TRACKING_URI) is required")
    if not str(uri).startswith(("http://", "https://")):
        # Webhooks are emitted only by the tracking server's REST handlers: writing straight into the database
        # (sqlite:///...) would register versions that Stagecraft never hears about.
        fail(EXIT_USAGE, f"--tracking-uri must be an http(s) MLflow server URL, got {uri!r}")
    return str(uri)


def git_commit(explicit: str | None) -> str | None:
    """The commit to tag the version with: --git-commit, else $STAGECRAFT_GIT_COMMIT / $GIT_COMMIT, else
    `git rev-parse HEAD` in this folder. None when unknown (the tag is then left off, never faked)."""
    for candidate in (explicit, os.environ.get("STAGECRAFT_GIT_COMMIT"), os.environ.get("GIT_COMMIT")):
        if candidate:
            return candidate
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=HERE, capture_output=True, text=True, timeout=10, check=True
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def log(message: str) -> None:
    """Progress goes to stderr so stdout carries only the result line."""
    print(message, file=sys.stderr, flush=True)


def fail(code: int, message: str) -> None:
    log(f"error: {message}")
    emit({"ok": False, "error": message}, None)
    sys.exit(code)


def emit(result: dict[str, Any], result_file: str | None) -> None:
    line = json.dumps(result, sort_keys=True)
    if result_file:
        path = Path(result_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(line + "\n", encoding="utf-8")
    print(line, flush=True)
