/**
 * Built-in validation checks as pure functions of facts an activity gathered from the registry. Each check type is
 * one definition (policy schema, facts needed, evaluation) in shared/policy/checks/; this module is the promotion's
 * view of that registry plus the MLmodel fact parser.
 */
export { evaluateCheck, factsNeeded, type CheckEvaluation, type CheckFacts, type FactKind } from '../policy/checks';

/** Reads `signature` / `saved_input_example_info` out of an MLmodel (YAML) document already parsed to an object. */
export function mlmodelFacts(doc: unknown): { signature: boolean; inputExample: boolean } {
  const o = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>;
  const sig = o['signature'];
  const signature = typeof sig === 'object' && sig !== null && ('inputs' in sig || 'outputs' in sig);
  const inputExample = o['saved_input_example_info'] !== undefined && o['saved_input_example_info'] !== null;
  return { signature, inputExample };
}
