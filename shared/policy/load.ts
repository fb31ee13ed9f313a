import { readFile } from 'node:fs/promises';
import { PolicyFileError } from './errors';
import { type Policy, parsePolicyText } from './parse';

/** Reads and validates a policy file (YAML or JSON). Throws PolicyFileError or PolicyInvalidError. */
export async function loadPolicy(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PolicyFileError(path, code === 'ENOENT' ? 'file not found' : code ?? 'read failed', e);
  }
  return parsePolicyText(text, path);
}
