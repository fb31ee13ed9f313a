/**
 * The workflow settings' README table (the docs are in workflow-settings-doc.ts) and the start-up validation of every
 * settings section (`validateAllSettings`, run at app start by functions/startup.ts), so a bad setting is reported at
 * once, by name, instead of on the first workflow that needs it. The sections are listed in shared/config/sections.ts.
 */
import { existsSync } from 'node:fs';
import { loadPolicy } from '../policy/load';
import { policyFile } from '../promotion/env';
import { azureSettingProblems } from './azure';
import type { Env } from './env';
import { sectionProblems } from './section';
import { ALL_SECTIONS } from './sections';
import { WORKFLOW_SETTINGS_DOC } from './workflow-settings-doc';

export { WORKFLOW_SETTINGS_DOC, type WorkflowSettingDoc } from './workflow-settings-doc';

export function workflowSettingsMarkdownTable(): string {
  const rows = WORKFLOW_SETTINGS_DOC.map(
    (s) => `| \`${s.name}\` | ${s.default ? `\`${s.default}\`` : ''} | ${s.secret ? 'yes' : ''} | ${s.description} |`,
  );
  return ['| Setting | Default | Secret | Description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/**
 * Every settings problem of the app, each naming the setting; empty when all is well. Never includes values.
 * Runs every section of shared/config/sections.ts, then loads the policy file.
 */
export async function validateAllSettings(env: Env = process.env): Promise<string[]> {
  const problems: string[] = azureSettingProblems(env);
  // A setting read by two sections (one schema) is reported once.
  for (const s of ALL_SECTIONS) for (const p of sectionProblems(s, env)) if (!problems.includes(p)) problems.push(p);
  const file = policyFile(env);
  if (problems.some((p) => p.startsWith('STAGECRAFT_POLICY_PATH'))) return problems;
  if (!existsSync(file))
    problems.push(`STAGECRAFT_POLICY_PATH: policy file ${file} does not exist (models get no promotion until it does)`);
  else {
    try {
      await loadPolicy(file);
    } catch (e) {
      problems.push(`policy ${file}: ${(e as Error).message} (run \`stagecraft policy check\`)`);
    }
  }
  return problems;
}
