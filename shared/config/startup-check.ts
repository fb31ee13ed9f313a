/**
 * The app's start-up check and its outcome for the rest of the process. functions/startup.ts runs it once when the
 * app starts; functions/health.ts reports it; the preInvocation gate in functions/startup.ts answers 503 while it
 * found problems (Azure only: locally the host refuses to start instead).
 */
import { azureSettingWarnings, runningInAzure, type Env } from './azure';
import { validateAllSettings } from './workflow-settings';

export interface StartupCheck {
  /** Each names the setting (or the policy file) and what is wrong; never a value. */
  problems: string[];
  /** Settings that are set but should not be (Flex Consumption), each by name. */
  warnings: string[];
  azure: boolean;
  checkedAt: string;
}

let last: StartupCheck | undefined;

export async function runStartupCheck(env: Env = process.env): Promise<StartupCheck> {
  last = { problems: await validateAllSettings(env), warnings: azureSettingWarnings(env), azure: runningInAzure(env), checkedAt: new Date().toISOString() };
  return last;
}

/** The outcome of the start-up check, undefined before it ran. */
export function startupCheck(): StartupCheck | undefined {
  return last;
}
