"""Batch scoring job for the deployment step: load the model behind an alias (default
`models:/breast-cancer-classifier@champion`), score a dataset, write one prediction per row.

Input: --input CSV with the 30 feature columns (default: the holdout rows of the example split). Output: --output
CSV with `row_id, prediction, label, probability_benign` (default out/predictions.csv). The version actually
scored is resolved from the alias first and loaded by number, so the output names the version even if the alias
moves while the job runs.

Result line: {"ok", "model_uri", "model_name", "version", "rows", "positive_rate", "output"}.
"""

from __future__ import annotations

import re
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from common import (
    EXIT_EXTERNAL,
    EXIT_USAGE,
    HERE,
    add,
    add_tracking_args,
    emit,
    fail,
    load_splits,
    log,
    parser,
    require_tracking_uri,
)

ALIAS_URI = re.compile(r"^models:/(?P<name>[^/@]+)@(?P<alias>[^/@]+)$")
VERSION_URI = re.compile(r"^models:/(?P<name>[^/@]+)/(?P<version>\d+)$")


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    add_tracking_args(p)
    add(p, "model-uri", default=None, help="models:/<name>@<alias> or models:/<name>/<version> (default: <model-name>@champion)")
    add(p, "input", default=None, help="CSV of features to score (default: the example holdout rows)")
    add(p, "output", default=str(HERE / "out" / "predictions.csv"))
    args = p.parse_args()
    tracking_uri = require_tracking_uri(args)
    mlflow.set_tracking_uri(tracking_uri)

    model_uri = args.model_uri or f"models:/{args.model_name}@champion"
    client = MlflowClient(tracking_uri)
    try:
        if m := ALIAS_URI.match(model_uri):
            name = m["name"]
            version = str(client.get_model_version_by_alias(name, m["alias"]).version)
        elif m := VERSION_URI.match(model_uri):
            name, version = m["name"], m["version"]
        else:
            fail(EXIT_USAGE, f"--model-uri must be models:/<name>@<alias> or models:/<name>/<version>, got {model_uri!r}")
            return
        model = mlflow.sklearn.load_model(f"models:/{name}/{version}")
    except MlflowException as e:
        fail(EXIT_EXTERNAL, f"cannot load {model_uri}: {e}")
        return

    splits = load_splits()
    if args.input:
        X = pd.read_csv(args.input)
        missing = [c for c in splits.train.X.columns if c not in X.columns]
        if missing:
            fail(EXIT_USAGE, f"--input is missing feature column(s): {missing[:5]}{'...' if len(missing) > 5 else ''}")
        X = X[list(splits.train.X.columns)]
    else:
        X = splits.holdout.X

    proba = model.predict_proba(X)[:, 1]
    pred = (proba >= 0.5).astype(np.int64)
    out = pd.DataFrame({
        "row_id": X.index,
        "prediction": pred,
        "label": [splits.target_names[i] for i in pred],
        "probability_benign": np.round(proba, 6),
    })
    out_path = Path(args.output).resolve()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(out_path, index=False)
    log(f"scored {len(out)} rows with {name} v{version} ({model_uri}) → {out_path}")
    emit({
        "ok": True,
        "model_uri": model_uri,
        "model_name": name,
        "version": version,
        "rows": len(out),
        "positive_rate": float(pred.mean()),
        "output": str(out_path),
    }, args.result_file)


if __name__ == "__main__":
    main()
