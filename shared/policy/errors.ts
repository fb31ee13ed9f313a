import { NotFoundError, ValidationError } from '../errors';

export interface PolicyIssue {
  /** Dotted path in the policy file, e.g. `models.fraud-*.approval.minApprovals`. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export function formatIssue(i: PolicyIssue): string {
  const where = i.line !== undefined ? ` (line ${i.line}${i.column !== undefined ? `, column ${i.column}` : ''})` : '';
  return `${i.path || '(root)'}: ${i.message}${where}`;
}

/** The policy file (or a model's merged policy) does not validate. `details.issues` lists every problem. */
export class PolicyInvalidError extends ValidationError {
  readonly issues: PolicyIssue[];
  constructor(source: string | undefined, issues: PolicyIssue[]) {
    const head = `policy${source ? ` ${source}` : ''} is invalid: ${issues.length} problem${issues.length === 1 ? '' : 's'}`;
    super('POLICY_INVALID', [head, ...issues.map((i) => `  - ${formatIssue(i)}`)].join('\n'), {
      status: 422,
      details: { source, issues },
    });
    this.issues = issues;
  }
}

/** No `models` entry matches the model name: the model is not managed by Stagecraft. */
export class PolicyNotFoundError extends NotFoundError {
  readonly model: string;
  constructor(model: string, source?: string) {
    super(
      'POLICY_NO_MODEL',
      `no policy for model '${model}'${source ? ` in ${source}` : ''}: add an entry under models (a name or a glob such as '${model.split(/[-_.]/)[0] ?? model}-*')`,
      {
        details: { model, source },
      },
    );
    this.model = model;
  }
}

/** The policy file cannot be read at all (missing, unreadable). */
export class PolicyFileError extends ValidationError {
  constructor(source: string, reason: string, cause?: unknown) {
    super('POLICY_FILE_UNREADABLE', `cannot read policy ${source}: ${reason}`, {
      status: 500,
      details: { source },
      cause,
    });
  }
}
