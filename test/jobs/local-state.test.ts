/**
 * Where the embedded mode keeps local job state: under the local host's state dir (published to the app as
 * STAGECRAFT_HOST_STATE_DIR), so hosts started from one checkout with different --state dirs never share job runs.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localStateDir } from '../../shared/config/local-state';
import { pipelinesSettings } from '../../shared/pipelines/settings';

describe('local state dir', () => {
  it('is the host state dir when the local host published one, else <cwd>/.stagecraft', () => {
    expect(localStateDir({ STAGECRAFT_HOST_STATE_DIR: '/tmp/host-a' }, '/repo')).toBe('/tmp/host-a');
    expect(localStateDir({}, '/repo')).toBe(join('/repo', '.stagecraft'));
  });

  it('puts job definitions under it unless STAGECRAFT_JOB_DEFINITIONS_DIR says otherwise', () => {
    expect(pipelinesSettings({ STAGECRAFT_HOST_STATE_DIR: '/tmp/host-a' }, '/repo').localDefinitionsDir).toBe(
      '/tmp/host-a/job-definitions',
    );
    expect(
      pipelinesSettings({ STAGECRAFT_HOST_STATE_DIR: '/tmp/host-a', STAGECRAFT_JOB_DEFINITIONS_DIR: '/defs' }, '/repo')
        .localDefinitionsDir,
    ).toBe('/defs');
  });
});
