import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const EXAMPLE_DIR = join(REPO_ROOT, 'examples', 'ml-project');
export const EXAMPLE_REQUIREMENTS = join(EXAMPLE_DIR, 'requirements.txt');
/** The example's virtual environment; `.venv/` is git-ignored. */
export const DEFAULT_VENV_DIR = join(EXAMPLE_DIR, '.venv');

export function venvPython(venvDir: string): string {
  return process.platform === 'win32' ? join(venvDir, 'Scripts', 'python.exe') : join(venvDir, 'bin', 'python');
}
