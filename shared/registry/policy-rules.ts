/** The registry rules of the policy live with the policy (pure, importable from orchestrators). */
export { registryIssues, registryNameIssue, type RegistryRuleInput } from '../policy/registry-rules';
