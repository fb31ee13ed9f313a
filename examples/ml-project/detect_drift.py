"""Compare a fresh data window with the training reference, feature by feature, and tell Stagecraft when the data
has drifted.

The test is the two-sample Kolmogorov-Smirnov test (scipy.stats.ks_2samp) per feature: a feature drifts when its
p-value is below --alpha. The window as a whole drifts when the share of drifted features reaches --drift-share
(the rule Evidently uses by default). The population stability index (PSI, 10 quantile bins of the reference) is
reported next to each p-value, for policies that gate on a distance rather than a p-value.

The "fresh window" is simulated: a sample (without replacement) of rows the model never trained on, optionally
moved by --shift reference standard deviations on the chosen features, timestamped as the last 24 hours. With
--shift 0 it is a sample of the same population, so it should not drift.

When the window drifts and --stagecraft-url is given, the report is POSTed to `<url>/api/events/drift` in the
generic drift payload Stagecraft's intake accepts (shared/intake/sources/drift.ts), with the key in the
`X-Stagecraft-Key` header (DRIFT_WEBHOOK_KEYS) and the Functions key in `x-functions-key` (the endpoint's
authLevel is `function`; the local host prints its default key at start and reads STAGECRAFT_FUNCTION_KEY).

Result line: {"ok", "drifted", "share_of_drifted_features", "drifted_features", "report", "posted", "stagecraft_status"}.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

from common import (
    EXIT_CHECK_FAILED,
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
)

PSI_BINS = 10


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """Population stability index over quantile bins of the reference (eps-smoothed so empty bins stay finite)."""
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, PSI_BINS + 1)))
    if len(edges) < 3:
        return 0.0
    edges[0], edges[-1] = -np.inf, np.inf
    ref_share = np.histogram(reference, edges)[0] / len(reference)
    cur_share = np.histogram(current, edges)[0] / len(current)
    eps = 1e-4
    ref_share = np.clip(ref_share, eps, None)
    cur_share = np.clip(cur_share, eps, None)
    return float(np.sum((cur_share - ref_share) * np.log(cur_share / ref_share)))


def resolve_alias_version(tracking_uri: str | None, model_name: str, alias: str) -> str | None:
    if not tracking_uri:
        return None
    try:
        from mlflow.tracking import MlflowClient

        return str(MlflowClient(tracking_uri).get_model_version_by_alias(model_name, alias).version)
    except Exception as e:  # the report is still useful without the version
        log(f"warning: cannot resolve {model_name}@{alias}: {e}")
        return None


def post(url: str, key: str | None, functions_key: str | None, payload: dict) -> int:
    body = json.dumps(payload).encode("utf-8")
    headers = {"content-type": "application/json"}
    if key:
        headers["X-Stagecraft-Key"] = key
    if functions_key:
        headers["x-functions-key"] = functions_key
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return int(res.status)
    except urllib.error.HTTPError as e:
        detail = e.read().decode("utf-8", "replace")[:500]
        fail(EXIT_EXTERNAL, f"Stagecraft answered {e.code} to POST {url}: {detail}")
    except (urllib.error.URLError, OSError) as e:
        fail(EXIT_EXTERNAL, f"cannot reach Stagecraft at {url}: {e}")
    return 0


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    add_tracking_args(p)
    add(p, "alias", default="champion", help="the alias serving the data (reported with the drift)")
    add(p, "model-version", default=None, help="the version serving the data (default: resolved from --alias)")
    add(p, "shift", type=float, default=0.0, help="move the window by this many reference std devs")
    add(p, "shift-features", default=None, help="comma-separated features to shift (default: all)")
    add(p, "window-size", type=int, default=200, help="rows in the fresh window (at most 228, the non-training rows)")
    add(p, "seed", type=int, default=0)
    add(p, "alpha", type=float, default=0.01, help="KS p-value below which a feature drifts")
    add(p, "psi-threshold", type=float, default=0.2, help="PSI above which a feature's distance is reported as drifted")
    add(p, "drift-share", type=float, default=0.3, help="share of drifted features at which the window drifts")
    add(p, "severity", default="Sev3", choices=["Sev0", "Sev1", "Sev2", "Sev3", "Sev4"])
    add(p, "report", default=str(HERE / "out" / "drift-report.json"), help="where to write the JSON drift report")
    add(p, "stagecraft-url", default=os.environ.get("STAGECRAFT_URL"), help="Stagecraft base URL (default: $STAGECRAFT_URL)")
    add(p, "stagecraft-key", default=os.environ.get("STAGECRAFT_DRIFT_KEY"), help="drift endpoint key (default: $STAGECRAFT_DRIFT_KEY)")
    add(p, "functions-key", default=os.environ.get("STAGECRAFT_FUNCTION_KEY"),
        help="Azure Functions key of the drift endpoint (authLevel function; default: $STAGECRAFT_FUNCTION_KEY)")
    add(p, "fail-on-drift", action="store_true", help="exit 1 when the window drifts")
    args = p.parse_args()

    splits = load_splits()
    reference = splits.train.X
    candidates = pd.concat([splits.validation.X, splits.holdout.X])
    if not 10 <= args.window_size <= len(candidates):
        fail(EXIT_USAGE, f"--window-size must be between 10 and {len(candidates)}, got {args.window_size}")
    window = candidates.sample(n=args.window_size, random_state=args.seed).copy()
    shifted = [f.strip() for f in args.shift_features.split(",")] if args.shift_features else list(reference.columns)
    unknown = sorted(set(shifted) - set(reference.columns))
    if unknown:
        fail(EXIT_USAGE, f"--shift-features: unknown feature(s) {unknown}")
    if args.shift:
        for f in shifted:
            window[f] = window[f] + args.shift * reference[f].std()

    features = []
    for f in reference.columns:
        ref, cur = reference[f].to_numpy(), window[f].to_numpy()
        ks = ks_2samp(ref, cur)
        psi_value = psi(ref, cur)
        features.append({"name": f, "metric": "ks_pvalue", "value": float(ks.pvalue), "threshold": args.alpha,
                         "drifted": bool(ks.pvalue < args.alpha), "statistic": float(ks.statistic)})
        features.append({"name": f, "metric": "psi", "value": psi_value, "threshold": args.psi_threshold,
                         "drifted": bool(psi_value > args.psi_threshold)})
    ks_rows = [x for x in features if x["metric"] == "ks_pvalue"]
    drifted_names = [x["name"] for x in ks_rows if x["drifted"]]
    share = len(drifted_names) / len(ks_rows)
    dataset_drift = share >= args.drift_share

    now = datetime.now(timezone.utc).replace(microsecond=0)
    version = args.model_version or resolve_alias_version(args.tracking_uri, args.model_name, args.alias)
    report_path = Path(args.report).resolve()
    payload = {
        "model": {"name": args.model_name, "alias": args.alias, **({"version": version} if version else {})},
        "tool": "scipy-ks",
        "ref": str(report_path),
        "severity": args.severity,
        "window": {"start": (now - timedelta(hours=24)).isoformat(), "end": now.isoformat()},
        "comparison": {"type": "TRAINING_BASELINE"},
        "datasetDrift": dataset_drift,
        "shareOfDriftedColumns": share,
        "features": [{k: v for k, v in x.items() if k != "statistic"} for x in features],
        "detectedAt": now.isoformat(),
    }
    report = {
        "schema": "stagecraft-example.drift-report/v1",
        "generatedAt": now.isoformat(),
        "test": {"name": "two-sample Kolmogorov-Smirnov", "alpha": args.alpha, "driftShare": args.drift_share},
        "reference": {"rows": len(reference), "split": "train"},
        "window": {"rows": len(window), "seed": args.seed, "shift": args.shift, "shiftedFeatures": shifted if args.shift else []},
        "datasetDrift": dataset_drift,
        "shareOfDriftedColumns": share,
        "driftedFeatures": drifted_names,
        "features": features,
        "event": payload,
    }
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    log(f"{len(drifted_names)}/{len(ks_rows)} features drifted (KS p < {args.alpha}); share {share:.2f} "
        f"{'>=' if dataset_drift else '<'} {args.drift_share} → {'DRIFT' if dataset_drift else 'no drift'}; report {report_path}")

    status = None
    if dataset_drift and args.stagecraft_url:
        url = args.stagecraft_url.rstrip("/") + "/api/events/drift"
        status = post(url, args.stagecraft_key, args.functions_key, payload)
        log(f"posted drift event to {url}: HTTP {status}")
    elif dataset_drift:
        log("no --stagecraft-url: drift event not posted")

    emit({
        "ok": True,
        "drifted": dataset_drift,
        "share_of_drifted_features": share,
        "drifted_features": drifted_names,
        "report": str(report_path),
        "posted": status is not None,
        "stagecraft_status": status,
    }, args.result_file)
    if dataset_drift and args.fail_on_drift:
        sys.exit(EXIT_CHECK_FAILED)


if __name__ == "__main__":
    main()
