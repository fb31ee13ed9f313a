import { type Document, LineCounter, isNode, parseDocument } from 'yaml';
import { type z } from 'zod';
import { type PolicyIssue, PolicyInvalidError } from './errors';
import { hasWildcard } from './glob';
import { deepMerge, hasPath, isPlainObject } from './merge';
import { formatPath } from './path';
import { DIRECT_CHANNEL_TYPES, PolicyFile } from './schema-file';
import { ModelPolicy } from './schema-model';
import { registryNameIssue } from './registry-rules';

/** A loaded, validated policy file. `models`/`defaults` stay raw: they are merged per model by resolvePolicy. */
export type Policy = PolicyFile & { source: string | undefined };

interface Locator {
  locate(path: readonly PropertyKey[]): { line?: number; column?: number };
}

function locator(doc: Document.Parsed, lc: LineCounter): Locator {
  return {
    locate(path) {
      // The deepest node that exists on the path: a missing key is reported at its parent.
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n) as unknown[], true);
        if (isNode(node) && node.range) {
          const { line, col } = lc.linePos(node.range[0]);
          return { line, column: col };
        }
      }
      return {};
    },
  };
}

function toIssues(error: z.ZodError, prefix: readonly PropertyKey[], loc: Locator | undefined): PolicyIssue[] {
  return error.issues.map((iss) => {
    const path = [...prefix, ...iss.path];
    const message =
      iss.code === 'invalid_type' && / received undefined$/.test(iss.message)
        ? `is required (${iss.message.replace(/^Invalid input: /, '').replace(/, received undefined$/, '')})`
        : iss.message;
    return { path: formatPath(path), message, ...(loc ? loc.locate(path) : {}) };
  });
}

/**
 * Validates every model entry as it will be used: defaults merged with that entry alone. An issue is
 * reported where the offending value is written (the entry, else `defaults`), or on the entry when a
 * required value is missing everywhere. Issues found through several entries are reported once.
 */
function validateEntries(file: PolicyFile, loc: Locator | undefined): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const seen = new Set<string>();
  const push = (i: PolicyIssue) => {
    const key = `${i.path}\u0000${i.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      issues.push(i);
    }
  };
  const approvalDefaults = file.defaults.approval;
  if (isPlainObject(approvalDefaults) && approvalDefaults.onDeadline === 'approve') {
    const path = ['defaults', 'approval', 'onDeadline'];
    push({
      path: formatPath(path),
      message: 'onDeadline: approve must be written on the model entry it applies to, never in defaults',
      ...(loc ? loc.locate(path) : {}),
    });
  }
  // A retraining cron must know which model it retrains: only an exact model entry names one. In defaults or on a
  // glob entry it would silently schedule some models (those also named exactly) and not others, so it is refused.
  const scheduleOf = (raw: unknown): unknown =>
    isPlainObject(raw) && isPlainObject(raw.retraining) ? raw.retraining.schedule : undefined;
  const scheduleRule =
    'a retraining schedule must be written on an exact model name (a glob or defaults names no model to retrain); write it on each model entry';
  if (scheduleOf(file.defaults) !== undefined && scheduleOf(file.defaults) !== null) {
    const path = ['defaults', 'retraining', 'schedule'];
    push({ path: formatPath(path), message: scheduleRule, ...(loc ? loc.locate(path) : {}) });
  }
  for (const [glob, entry] of Object.entries(file.models)) {
    if (hasWildcard(glob) && scheduleOf(entry) !== undefined && scheduleOf(entry) !== null) {
      const path = ['models', glob, 'retraining', 'schedule'];
      push({ path: formatPath(path), message: scheduleRule, ...(loc ? loc.locate(path) : {}) });
    }
  }
  for (const [glob, entry] of Object.entries(file.models)) {
    const merged = deepMerge(deepMerge({}, file.defaults), entry);
    const r = ModelPolicy.safeParse(merged);
    if (r.success) {
      const nameIssue = registryNameIssue(r.data.registry, glob);
      if (nameIssue)
        push({ path: formatPath(['models', glob]), message: nameIssue, ...(loc ? loc.locate(['models', glob]) : {}) });
      checkChannelRefs(r.data.notify, ['models', glob, 'notify'], file, loc, push);
      r.data.approval.escalation.forEach((s, i) =>
        checkChannelRefs(s.notify, ['models', glob, 'approval', 'escalation', i, 'notify'], file, loc, push),
      );
      checkLinkChannel(r.data.approval.linkChannel, ['models', glob, 'approval', 'linkChannel'], file, loc, push);
      continue;
    }
    for (const iss of r.error.issues) {
      const inEntry = hasPath(entry, iss.path);
      const prefix = inEntry || !hasPath(file.defaults, iss.path) ? ['models', glob] : ['defaults'];
      for (const i of toIssues({ issues: [iss] } as z.ZodError, prefix, loc)) push(i);
    }
  }
  for (const [repo, p] of Object.entries(file.pipelines))
    checkChannelRefs(p.notify, ['pipelines', repo, 'notify'], file, loc, push);
  for (const [name, j] of Object.entries(file.jobs))
    checkChannelRefs(j.notify, ['jobs', name, 'notify'], file, loc, push);
  return issues;
}

function checkChannelRefs(
  names: readonly string[],
  path: PropertyKey[],
  file: PolicyFile,
  loc: Locator | undefined,
  push: (i: PolicyIssue) => void,
): void {
  names.forEach((n, i) => {
    const p = [...path, i];
    if (!Object.prototype.hasOwnProperty.call(file.channels, n)) {
      push({
        path: formatPath(p),
        message: `unknown channel '${n}' (define it under channels)`,
        ...(loc ? loc.locate(p) : {}),
      });
    } else if (DIRECT_CHANNEL_TYPES.has(file.channels[n]!.type)) {
      push({
        path: formatPath(p),
        message: `channel '${n}' is a direct channel (${file.channels[n]!.type}): it only delivers approval links (approval.linkChannel), not shared notices`,
        ...(loc ? loc.locate(p) : {}),
      });
    }
  });
}

/** approval.linkChannel must name a direct channel: links are bearer tokens and never go to a shared channel. */
function checkLinkChannel(
  name: string | undefined,
  path: PropertyKey[],
  file: PolicyFile,
  loc: Locator | undefined,
  push: (i: PolicyIssue) => void,
): void {
  if (name === undefined) return;
  const c = Object.prototype.hasOwnProperty.call(file.channels, name) ? file.channels[name] : undefined;
  if (!c)
    push({
      path: formatPath(path),
      message: `unknown channel '${name}' (define it under channels)`,
      ...(loc ? loc.locate(path) : {}),
    });
  else if (!DIRECT_CHANNEL_TYPES.has(c.type))
    push({
      path: formatPath(path),
      message: `channel '${name}' is a shared ${c.type} channel; approval links go only through a direct channel (direct-webhook or slack-dm)`,
      ...(loc ? loc.locate(path) : {}),
    });
}

/** Validates an already-parsed object (e.g. from tests or JSON config). Throws PolicyInvalidError. */
export function parsePolicyObject(raw: unknown, source?: string, loc?: Locator): Policy {
  const r = PolicyFile.safeParse(raw);
  if (!r.success) throw new PolicyInvalidError(source, toIssues(r.error, [], loc));
  const issues = validateEntries(r.data, loc);
  if (issues.length) throw new PolicyInvalidError(source, issues);
  return { ...r.data, source };
}

/**
 * Parses policy text, YAML or JSON (JSON is read by the same YAML 1.2 parser, so issues carry line
 * numbers for both). Throws PolicyInvalidError listing every syntax or schema problem.
 */
export function parsePolicyText(text: string, source?: string): Policy {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw new PolicyInvalidError(
      source,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
        return {
          path: '',
          message: e.message.split('\n')[0] ?? e.message,
          ...(pos ? { line: pos.line, column: pos.col } : {}),
        };
      }),
    );
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  if (raw === null || raw === undefined)
    throw new PolicyInvalidError(source, [{ path: '', message: 'the policy file is empty' }]);
  return parsePolicyObject(raw, source, locator(doc, lc));
}
