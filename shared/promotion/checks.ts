/**
 * Built-in validation checks as pure functions of facts an activity gathered from the registry.
 * Fail closed: a fact that could not be established (no run, no MLmodel) fails the check with a message saying so,
 * never passes it silently.
 */
import { compareWithChampion } from '../decisions/champion';
import { evaluateThresholds } from '../decisions/thresholds';
import type { Check } from '../policy';
import type { ValidationResult, VersionInfo } from './types';

export interface CheckFacts {
  version: VersionInfo;
  /** Tags of the version's run (empty without a run). */
  runTags: Record<string, string>;
  /** Latest metrics of the version's run; undefined when the version has no run. */
  runMetrics: Record<string, number> | undefined;
  /** The version the champion alias points to with its run's metrics; null when there is no champion. */
  champion?: { version: string; metrics: Record<string, number> } | null;
  /** Artifact paths present under the run's artifact root (files, relative, '/'-separated). */
  artifacts?: string[];
  /** Signature: what the model's MLmodel declares (undefined when it could not be read); input example: file or MLmodel. */
  mlmodel?: { signature: boolean | undefined; inputExample: boolean };
  /** Names of the datasets logged as the run's inputs. */
  datasets?: string[];
}

export type CheckEvaluation = Pick<ValidationResult, 'status' | 'message'> & Partial<Pick<ValidationResult, 'thresholds' | 'champion' | 'missing'>>;

/** Which facts a check needs, so the activity fetches only those. */
export function factsNeeded(check: Check): Array<'run' | 'champion' | 'artifacts' | 'mlmodel' | 'datasets'> {
  switch (check.type) {
    case 'required-tags':
      return ['run'];
    case 'metric-threshold':
      return ['run'];
    case 'champion':
      return ['run', 'champion'];
    case 'artifacts':
      return ['artifacts'];
    case 'signature':
    case 'input-example':
      return ['mlmodel'];
    case 'datasets':
      return ['run', 'datasets'];
    default:
      return [];
  }
}

export function evaluateCheck(check: Check, facts: CheckFacts): CheckEvaluation {
  switch (check.type) {
    case 'required-tags': {
      const have = { ...facts.runTags, ...facts.version.tags };
      const missing = check.tags.filter((t) => have[t] === undefined || have[t] === '');
      return missing.length === 0
        ? { status: 'passed', message: `all required tags present (${check.tags.join(', ')})` }
        : { status: 'failed', message: `missing tag(s): ${missing.join(', ')}`, missing };
    }
    case 'description': {
      const len = (facts.version.description ?? '').trim().length;
      return len >= check.minLength
        ? { status: 'passed', message: `description present (${len} characters)` }
        : { status: 'failed', message: len === 0 ? 'the version has no description' : `the description has ${len} characters; ${check.minLength} required` };
    }
    case 'signature':
      if (facts.mlmodel?.signature === undefined) return { status: 'failed', message: "the model's MLmodel file could not be read, so its signature is unknown" };
      return facts.mlmodel.signature ? { status: 'passed', message: 'the model declares a signature' } : { status: 'failed', message: 'the model was logged without a signature' };
    case 'input-example':
      if (!facts.mlmodel) return { status: 'failed', message: "the model's MLmodel file could not be read, so its input example is unknown" };
      return facts.mlmodel.inputExample ? { status: 'passed', message: 'the model has an input example' } : { status: 'failed', message: 'the model was logged without an input example' };
    case 'metric-threshold': {
      if (!facts.runMetrics) return { status: 'failed', message: 'the version has no run, so its metrics are unknown' };
      const out = evaluateThresholds(facts.runMetrics, check.thresholds);
      const failed = out.results.filter((r) => r.status !== 'passed');
      return {
        status: out.passed ? 'passed' : 'failed',
        message: out.passed ? out.results.map((r) => r.message).join('; ') : failed.map((r) => r.message).join('; '),
        thresholds: out.results,
      };
    }
    case 'champion': {
      if (!facts.runMetrics) return { status: 'failed', message: "the version has no run, so it cannot be compared with the champion" };
      const champ = facts.champion ?? null;
      const cmp = compareWithChampion(facts.runMetrics, champ?.metrics, check.rules);
      const bad = cmp.results.filter((r) => r.status === 'failed' || r.status === 'missing');
      const message = !cmp.hasChampion
        ? (cmp.note ?? 'no champion yet')
        : cmp.passed
          ? `better than or within limits of champion v${champ!.version}: ${cmp.results.map((r) => r.message).join('; ')}`
          : `worse than champion v${champ!.version}: ${bad.map((r) => r.message).join('; ')}`;
      return { status: cmp.passed ? 'passed' : 'failed', message, champion: champ ? { ...cmp, championVersion: champ.version } : cmp };
    }
    case 'artifacts': {
      if (!facts.artifacts) return { status: 'failed', message: "the run's artifacts could not be listed" };
      const present = new Set(facts.artifacts.map((p) => p.replace(/^\/+/, '')));
      const missing = check.paths.filter((p) => !present.has(p.replace(/^\/+/, '')));
      return missing.length === 0
        ? { status: 'passed', message: `artifacts present: ${check.paths.join(', ')}` }
        : { status: 'failed', message: `missing artifact(s): ${missing.join(', ')}`, missing };
    }
    case 'datasets': {
      const names = facts.datasets ?? [];
      const missing = check.names.filter((n) => !names.includes(n));
      if (names.length < check.min) return { status: 'failed', message: `the run logged ${names.length} dataset input(s); ${check.min} required`, missing };
      if (missing.length) return { status: 'failed', message: `missing dataset input(s): ${missing.join(', ')}`, missing };
      return { status: 'passed', message: `dataset inputs: ${names.join(', ')}` };
    }
    case 'job':
      return { status: 'error', message: 'job checks run as jobs, not as built-in checks' };
    case 'ab-test':
      return { status: 'error', message: 'ab-test checks run during a serving-endpoint rollout, not as built-in checks' };
  }
}

/** Reads `signature` / `saved_input_example_info` out of an MLmodel (YAML) document already parsed to an object. */
export function mlmodelFacts(doc: unknown): { signature: boolean; inputExample: boolean } {
  const o = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>;
  const sig = o['signature'];
  const signature = typeof sig === 'object' && sig !== null && ('inputs' in sig || 'outputs' in sig);
  const inputExample = o['saved_input_example_info'] !== undefined && o['saved_input_example_info'] !== null;
  return { signature, inputExample };
}
