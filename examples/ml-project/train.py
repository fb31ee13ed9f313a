"""Train the breast-cancer classifier, log it to MLflow and register a new model version.

The version is created through the tracking server's REST API (MlflowClient.create_model_version), which is
what makes MLflow send `registered_model.created` (first time) and `model_version.created` webhooks. The
version's creation tags carry `git_commit` (and `stagecraft.retraining_run_id` for retraining runs), so the
tags arrive inside the `model_version.created` payload and no separate tag event is needed.

Result line: {"ok", "model_name", "version", "run_id", "model_id", "model_uri", "source", "metrics", "tags"}.
"""

from __future__ import annotations

import time
from importlib import metadata

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from common import (
    EXIT_EXTERNAL,
    EXPERIMENT_NAME,
    add,
    add_tracking_args,
    classification_metrics,
    emit,
    fail,
    git_commit,
    load_splits,
    log,
    parser,
    require_tracking_uri,
)


def pinned_requirements() -> list[str]:
    # mlflow 3.17 saves scikit-learn models with skops (model.skops), so skops is a load-time requirement.
    return [f"{dist}=={metadata.version(dist)}" for dist in ("mlflow", "scikit-learn", "skops", "numpy", "pandas", "scipy")]


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    add_tracking_args(p)
    add(p, "experiment", default=EXPERIMENT_NAME, help="MLflow experiment name")
    add(p, "C", type=float, default=1.0, help="inverse regularization strength of the logistic regression")
    add(p, "max-iter", type=int, default=1000)
    add(p, "train-fraction", type=float, default=1.0,
        help="use this fraction of the training rows (a retraining run can vary it with --seed)")
    add(p, "seed", type=int, default=0, help="seed for the training-row subsample")
    add(p, "git-commit", default=None, help="commit to tag the version with (default: git rev-parse HEAD)")
    add(p, "retraining-run-id", default=None, help="Stagecraft retraining run that asked for this version")
    add(p, "reason", default=None, help="why this version was trained (e.g. drift, schedule, manual)")
    add(p, "description", default=None, help="model version description")
    # Stagecraft's retraining runs pass these besides the policy's parameters (shared/retraining/run.ts); they are
    # logged as run tags so the run says which trigger and which data cut it was trained for.
    add(p, "trigger-kind", default=None, help="what started the retraining run (drift, schedule, manual)")
    add(p, "data-snapshot", default=None, help="instant the training data is cut at (ISO 8601)")
    add(p, "drift-window-start", default=None, help="start of the drifted window (drift-triggered runs)")
    add(p, "drift-window-end", default=None, help="end of the drifted window (drift-triggered runs)")
    args = p.parse_args()
    if not 0 < args.train_fraction <= 1:
        fail(2, f"--train-fraction must be in (0, 1], got {args.train_fraction}")
    tracking_uri = require_tracking_uri(args)
    mlflow.set_tracking_uri(tracking_uri)

    started = time.monotonic()
    splits = load_splits()
    X_train, y_train = splits.train.X, splits.train.y
    if args.train_fraction < 1:
        X_train = X_train.sample(frac=args.train_fraction, random_state=args.seed)
        y_train = y_train.loc[X_train.index]

    model = Pipeline([
        ("scale", StandardScaler()),
        ("clf", LogisticRegression(C=args.C, max_iter=args.max_iter)),
    ])
    model.fit(X_train, y_train)

    X_val, y_val = splits.validation.X, splits.validation.y
    proba = model.predict_proba(X_val)[:, 1]
    # Metric names match the model's policy thresholds (accuracy, roc_auc, log_loss), computed on validation rows.
    metrics = classification_metrics(y_val, proba)

    commit = git_commit(args.git_commit)
    version_tags: dict[str, str] = {}
    if commit:
        version_tags["git_commit"] = commit
    else:
        log("warning: git commit unknown (no --git-commit, $STAGECRAFT_GIT_COMMIT or git checkout); tag left off")
    if args.retraining_run_id:
        version_tags["stagecraft.retraining_run_id"] = args.retraining_run_id
    if args.reason:
        version_tags["training_reason"] = args.reason

    try:
        mlflow.set_experiment(args.experiment)
        with mlflow.start_run(run_name=f"train-{args.model_name}") as run:
            mlflow.log_params({
                "model_type": "logistic_regression",
                "C": args.C,
                "max_iter": args.max_iter,
                "train_fraction": args.train_fraction,
                "seed": args.seed,
                "train_rows": len(X_train),
                "validation_rows": len(X_val),
                "features": X_train.shape[1],
            })
            mlflow.log_metrics(metrics)
            mlflow.set_tags({k: v for k, v in version_tags.items()})
            run_tags = {
                "stagecraft.trigger_kind": args.trigger_kind,
                "stagecraft.data_snapshot": args.data_snapshot,
                "stagecraft.drift_window_start": args.drift_window_start,
                "stagecraft.drift_window_end": args.drift_window_end,
            }
            mlflow.set_tags({k: v for k, v in run_tags.items() if v})
            signature = infer_signature(X_val, model.predict(X_val))
            # Explicit requirements: MLflow would otherwise infer them by loading the model in a fresh Python
            # subprocess, which costs several seconds per training run.
            info = mlflow.sklearn.log_model(
                model, name="model", signature=signature, input_example=X_train.head(5),
                pip_requirements=pinned_requirements(),
            )
            run_id = run.info.run_id

        client = MlflowClient(tracking_uri)
        try:
            client.create_registered_model(
                args.model_name,
                description="Logistic regression on scikit-learn's breast-cancer dataset (Stagecraft example).",
            )
        except MlflowException as e:
            if e.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
        description = args.description or (
            f"C={args.C}, {len(X_train)} training rows"
            + (f", reason: {args.reason}" if args.reason else "")
            + (f", commit {commit[:12]}" if commit else "")
        )
        mv = client.create_model_version(
            name=args.model_name,
            source=info.model_uri,
            run_id=run_id,
            tags=version_tags,
            description=description,
            model_id=info.model_id,
        )
    except MlflowException as e:
        fail(EXIT_EXTERNAL, f"MLflow call failed: {e}")
        return

    log(f"registered {args.model_name} version {mv.version} (run {run_id}) in {time.monotonic() - started:.1f}s; "
        f"validation accuracy {metrics['accuracy']:.3f}, roc_auc {metrics['roc_auc']:.3f}")
    emit({
        "ok": True,
        "model_name": args.model_name,
        "version": str(mv.version),
        "run_id": run_id,
        "model_id": info.model_id,
        "model_uri": f"models:/{args.model_name}/{mv.version}",
        "source": mv.source,
        "metrics": metrics,
        "tags": version_tags,
    }, args.result_file)


if __name__ == "__main__":
    main()
