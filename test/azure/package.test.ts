/**
 * Issue #17 item 3 and the README: what is deployed and what Azure needs. The demo policy (local jobs under
 * examples/) is not packaged; the README's Azure settings section names every setting required in Azure and every
 * setting that must not be set on Flex Consumption.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NOT_ON_FLEX, REQUIRED_IN_AZURE } from '../../shared/config/azure';
import { REPO_ROOT } from '../helpers/host';

const lines = readFileSync(join(REPO_ROOT, '.funcignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

describe('deployment package and Azure settings docs', () => {
  it('.funcignore keeps the repository demo policy and the examples out of the package', () => {
    expect(lines).toContain('/stagecraft.policy.yaml');
    expect(lines).toContain('examples');
  });

  it('the README Azure settings section names each setting required in Azure and each one Flex rejects', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('## Azure settings');
    expect(start).toBeGreaterThan(0);
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    for (const s of REQUIRED_IN_AZURE) expect(section).toMatch(new RegExp(`\`${s.name}\`[^\\n]*required`));
    for (const n of NOT_ON_FLEX) expect(section).toMatch(new RegExp(`\`${n}\`[^\\n]*must not be set on Flex`));
    expect(section).toContain('`AZURE_CLIENT_ID`');
  });
});
