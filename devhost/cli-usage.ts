/** Help text of the operator commands (kept apart so `stagecraft start` does not load them). */
export const OPS_USAGE = `  instances list|show|raise|terminate|purge ...   Durable instances (running host or state dir)
  servicebus list|peek|resubmit ...                Service Bus emulator entities and dead letters
  policy check [FILE]                              Validate the promotion policy (default stagecraft.policy.yaml)
  approvals [list|show ID|approve ID|reject ID]    Pending approvals and decisions (--comment, --key)
  rollback MODEL [--to VERSION] [--reason TEXT]    Move champion back to the previous (or named) version
  retrain MODEL [--reason TEXT] [--param k=v]      Request retraining (refused while one is running)
  runs [ID] [--workflow W] [--model M] [--status S] Workflow runs and their timelines
  audit [--from ISO] [--to ISO] [--action A] [--actor ID]  The audit log (operators)

  Common options: --app DIR, --state DIR, --url URL (or STAGECRAFT_URL), --key KEY (or STAGECRAFT_KEY),
  --identity-key KEY (or STAGECRAFT_IDENTITY_KEY: who you are, sent in the x-stagecraft-key header)`;
