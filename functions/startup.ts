/**
 * Start-up check: every setting and the policy file are validated once when the app starts, and each problem is
 * logged as an error naming the setting and what to set. (Functions that need a broken setting also fail with the
 * same message; this makes the problem visible before the first event arrives.)
 */
import { app } from '@azure/functions';
import { validateAllSettings } from '../shared/config/workflow-settings';

app.hook.appStart(async (context) => {
  const problems = await validateAllSettings();
  const log = (context as unknown as { log?: unknown }).log;
  for (const p of problems) {
    const line = `Stagecraft settings problem: ${p}`;
    if (typeof log === 'function') (log as (s: string) => void)(line);
    console.error(line);
  }
  if (problems.length === 0) console.log('Stagecraft settings and policy validated');
});
