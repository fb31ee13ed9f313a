/**
 * `npx tsx scripts/mlflow/setup.ts` — creates examples/ml-project/.venv and installs its requirements (idempotent),
 * printing how long each step took. Used by the demo and e2e setup; safe to run repeatedly.
 */
import { ensureVenv } from './venv';
import { DEFAULT_VENV_DIR, EXAMPLE_REQUIREMENTS } from './paths';

async function main(): Promise<void> {
  const t0 = Date.now();
  const v = await ensureVenv(DEFAULT_VENV_DIR, EXAMPLE_REQUIREMENTS, { onProgress: (l) => console.log(`• ${l}`) });
  const total = ((Date.now() - t0) / 1000).toFixed(1);
  if (!v.installed) console.log(`venv up to date: ${v.python} (checked in ${total}s)`);
  else
    console.log(
      `venv ready: ${v.python} — venv ${(v.venvMs / 1000).toFixed(1)}s, pip install ${(v.installMs / 1000).toFixed(1)}s, total ${total}s`,
    );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
