"""Job check: score a registered model version on the holdout rows, log the metrics to the version's run, and
exit 1 when a metric is on the wrong side of its threshold.

Holdout rows are never seen by train.py (it fits on the training rows and reports on the validation rows), so
these are the numbers to gate on. Metrics are logged to the version's own run as `holdout_<metric>`, next to the
validation metrics train.py logged there.

Examples:
  python evaluate.py --model-name breast-cancer-classifier --model-version 3
  python evaluate.py --model_name breast-cancer-classifier --model_version 3 --min_roc_auc 0.97 --max_log_loss 0.2

Result line: {"ok", "passed", "model_name", "version", "run_id", "metrics", "thresholds", "failures"}.
"""

from __future__ import annotations

import sys
import time

import mlflow
from mlflow.entities import Metric, RunTag
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from common import (
    EXIT_CHECK_FAILED,
    EXIT_EXTERNAL,
    EXIT_USAGE,
    add,
    add_tracking_args,
    classification_metrics,
    emit,
    fail,
    load_splits,
    log,
    parser,
    require_tracking_uri,
)


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    add_tracking_args(p)
    add(p, "model-version", default=None, help="version to evaluate (or --alias)")
    add(p, "alias", default=None, help="evaluate the version this alias points to")
    add(p, "min-accuracy", type=float, default=0.90)
    add(p, "min-roc-auc", type=float, default=0.95)
    add(p, "max-log-loss", type=float, default=0.35)
    add(p, "metric-prefix", default="holdout_", help="prefix of the metric keys logged to the run")
    args = p.parse_args()
    if bool(args.model_version) == bool(args.alias):
        fail(EXIT_USAGE, "give exactly one of --model-version or --alias")
    tracking_uri = require_tracking_uri(args)
    mlflow.set_tracking_uri(tracking_uri)
    client = MlflowClient(tracking_uri)

    try:
        mv = (
            client.get_model_version(args.model_name, str(args.model_version))
            if args.model_version
            else client.get_model_version_by_alias(args.model_name, args.alias)
        )
        model = mlflow.sklearn.load_model(f"models:/{args.model_name}/{mv.version}")
    except MlflowException as e:
        fail(EXIT_EXTERNAL, f"cannot load {args.model_name} {args.model_version or '@' + args.alias}: {e}")
        return

    splits = load_splits()
    X, y = splits.holdout.X, splits.holdout.y
    proba = model.predict_proba(X)[:, 1]
    metrics = classification_metrics(y, proba)
    thresholds = {
        "accuracy": {"min": args.min_accuracy},
        "roc_auc": {"min": args.min_roc_auc},
        "log_loss": {"max": args.max_log_loss},
    }
    failures = []
    for metric, bound in thresholds.items():
        value = metrics[metric]
        if "min" in bound and value < bound["min"]:
            failures.append(f"{metric} {value:.4f} < min {bound['min']}")
        if "max" in bound and value > bound["max"]:
            failures.append(f"{metric} {value:.4f} > max {bound['max']}")
    passed = not failures

    if mv.run_id:
        now_ms = int(time.time() * 1000)
        try:
            client.log_batch(
                mv.run_id,
                metrics=[
                    Metric(f"{args.metric_prefix}{k}", v, now_ms, 0)
                    for k, v in metrics.items()
                ],
                tags=[RunTag("stagecraft.evaluation", "passed" if passed else "failed")],
            )
        except MlflowException as e:
            fail(EXIT_EXTERNAL, f"cannot log metrics to run {mv.run_id}: {e}")
    else:
        log(f"warning: version {mv.version} has no run; metrics not logged")

    log(f"{args.model_name} v{mv.version} on {len(X)} holdout rows: "
        + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items())
        + (" — passed" if passed else " — FAILED: " + "; ".join(failures)))
    emit({
        "ok": True,
        "passed": passed,
        "model_name": args.model_name,
        "version": str(mv.version),
        "run_id": mv.run_id,
        "metrics": metrics,
        "thresholds": thresholds,
        "failures": failures,
    }, args.result_file)
    if not passed:
        sys.exit(EXIT_CHECK_FAILED)


if __name__ == "__main__":
    main()
