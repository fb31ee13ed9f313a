"""Stagecraft relay: posts a Unity Catalog model update trigger's updates to Stagecraft, signed.

Runs as the task of a Databricks job whose trigger is a model update trigger; the job passes
``{{job.trigger.model.updates}}`` (a JSON list of ``{full_name, version, alias_name}``) as ``--updates``.

Wire format (checked by Stagecraft's ``databricks-uc`` intake source):
  POST <stagecraft-url>/api/webhooks/databricks-uc
  Content-Type: application/json
  X-Stagecraft-Timestamp: <unix seconds>
  X-Stagecraft-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
  X-Stagecraft-Delivery-Id: uc-relay:<job run id>
  body: {"condition": ..., "updates": [...], "run_id": ..., "triggered_at": <RFC 3339>}

The secret comes from a Databricks secret scope (``dbutils.secrets.get``); outside Databricks (tests) from the
environment variable STAGECRAFT_RELAY_SECRET. Only the Python standard library is used.
Retries: 429/5xx/network errors with bounded exponential backoff (Retry-After honoured); a task retry re-sends
with the same delivery id, which Stagecraft answers as a duplicate.
"""
import argparse
import datetime
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.request

MAX_ATTEMPTS = 5
MAX_SLEEP_SECONDS = 60


def get_secret(scope, key):
    try:
        from databricks.sdk.runtime import dbutils  # type: ignore  # available on Databricks compute

        return dbutils.secrets.get(scope=scope, key=key)
    except Exception:  # noqa: BLE001 - not on Databricks: tests and local runs
        value = os.environ.get("STAGECRAFT_RELAY_SECRET")
        if not value:
            raise SystemExit(f"no secret: secret scope {scope}/{key} not readable and STAGECRAFT_RELAY_SECRET unset")
        return value


def parse_updates(text):
    updates = json.loads(text) if text and text.strip() else []
    if not isinstance(updates, list):
        raise SystemExit("--updates must be a JSON list (the model update trigger's {{job.trigger.model.updates}})")
    return updates


def sign(secret, timestamp, body):
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("utf-8") + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def post(url, body, secret, delivery_id):
    for attempt in range(1, MAX_ATTEMPTS + 1):
        ts = str(int(time.time()))  # re-signed per attempt: the receiver's replay window is short
        req = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Stagecraft-Timestamp": ts,
                "X-Stagecraft-Signature": sign(secret, ts, body),
                "X-Stagecraft-Delivery-Id": delivery_id,
                "User-Agent": "stagecraft-uc-relay/1",
            },
        )
        retry_after = None
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                print(f"stagecraft answered {res.status}: {res.read(2000).decode('utf-8', 'replace')}")
                return
        except urllib.error.HTTPError as e:
            text = e.read(2000).decode("utf-8", "replace")
            if e.code != 429 and e.code < 500:
                raise SystemExit(f"stagecraft refused the delivery ({e.code}): {text}")
            retry_after = e.headers.get("Retry-After")
            print(f"attempt {attempt}: {e.code} {text}", file=sys.stderr)
        except urllib.error.URLError as e:
            print(f"attempt {attempt}: {e.reason}", file=sys.stderr)
        if attempt == MAX_ATTEMPTS:
            raise SystemExit("stagecraft did not accept the delivery; the task fails (its retries and the UC reconciler remain)")
        delay = min(MAX_SLEEP_SECONDS, 2 ** attempt)
        if retry_after and retry_after.isdigit():
            delay = min(MAX_SLEEP_SECONDS, int(retry_after))
        time.sleep(delay)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--updates", required=True)
    p.add_argument("--condition", default="MODEL_VERSION_READY")
    p.add_argument("--delivery-id", required=True)
    p.add_argument("--stagecraft-url", required=True)
    p.add_argument("--secret-scope", default="stagecraft")
    p.add_argument("--secret-key", default="uc-relay-secret")
    a = p.parse_args(argv)
    updates = parse_updates(a.updates)
    if not updates:
        print("no updates in this run; nothing to relay")
        return
    body = json.dumps(
        {
            "condition": a.condition,
            "updates": updates,
            "run_id": a.delivery_id,
            "triggered_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        },
        separators=(",", ":"),
    ).encode("utf-8")
    url = a.stagecraft_url.rstrip("/") + "/api/webhooks/databricks-uc"
    post(url, body, get_secret(a.secret_scope, a.secret_key), f"uc-relay:{a.delivery_id}")


if __name__ == "__main__":
    main()
