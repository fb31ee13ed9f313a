/** Help lines of Stagecraft's operator commands (kept apart from ops.ts so `stagecraft start` does not load it). */
export const COMMAND_USAGE = {
  policy:
    '  policy check [FILE]                              Validate the promotion policy (default stagecraft.policy.yaml)',
  approvals: '  approvals [list|show ID|approve ID|reject ID]    Pending approvals and decisions (--comment, --key)',
  rollback: '  rollback MODEL [--to VERSION] [--reason TEXT]    Move champion back to the previous (or named) version',
  retrain: '  retrain MODEL [--reason TEXT] [--param k=v]      Request retraining (refused while one is running)',
  runs: '  runs [ID] [--workflow W] [--model M] [--status S] Workflow runs and their timelines',
  audit: '  audit [--from ISO] [--to ISO] [--action A] [--actor ID]  The audit log (operators)',
} as const;

export const COMMON_USAGE = `  Common options: --app DIR, --state DIR, --url URL (or STAGECRAFT_URL), --key KEY (or STAGECRAFT_KEY),
  --identity-key KEY (or STAGECRAFT_IDENTITY_KEY: who you are, sent in the x-stagecraft-key header)`;
