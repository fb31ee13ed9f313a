/**
 * Host settings are named DEVHOST_*; the older STAGECRAFT_* spelling is still read (devhost/README.md). Checked
 * through the real readers: the key store (function and master keys), the non-loopback key rule, the log format.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertKeysForListenHost } from '../../host/admin-guard';
import { hostSetting, settingName } from '../../host/setting-names';
import { loadKeys } from '../../http/keys';

const state = (): string => mkdtempSync(join(tmpdir(), 'devhost-names-'));
const OLD_MASTER = 'old-master-key-0123456789abcdef';
const NEW_MASTER = 'new-master-key-0123456789abcdef';

describe('host setting names', () => {
  it('still reads the old STAGECRAFT_* names when the DEVHOST_* ones are not set', () => {
    const keys = loadKeys(state(), {
      STAGECRAFT_MASTER_KEY: OLD_MASTER,
      STAGECRAFT_FUNCTION_KEY: 'old-function-key',
      STAGECRAFT_FUNCTION_KEYS: 'ci=old-ci-key',
    });
    expect(keys.masterKey).toBe(OLD_MASTER);
    expect(keys.hostKeys['default']).toBe('old-function-key');
    expect(keys.hostKeys['ci']).toBe('old-ci-key');
    // Old names satisfy the non-loopback rule too.
    expect(() =>
      assertKeysForListenHost('0.0.0.0', { STAGECRAFT_MASTER_KEY: OLD_MASTER, STAGECRAFT_FUNCTION_KEY: OLD_MASTER }),
    ).not.toThrow();
    expect(hostSetting({ STAGECRAFT_LOG_FORMAT: 'json' }, 'LOG_FORMAT')).toBe('json');
  });

  it('the DEVHOST_* name wins over the old one when both are set', () => {
    const keys = loadKeys(state(), {
      STAGECRAFT_MASTER_KEY: OLD_MASTER,
      DEVHOST_MASTER_KEY: NEW_MASTER,
      STAGECRAFT_FUNCTION_KEY: 'old-function-key',
      DEVHOST_FUNCTION_KEY: 'new-function-key',
    });
    expect(keys.masterKey).toBe(NEW_MASTER);
    expect(keys.hostKeys['default']).toBe('new-function-key');
    // A short new key is refused even though the old one would pass: the rule reads the name that wins.
    expect(() =>
      assertKeysForListenHost('0.0.0.0', {
        STAGECRAFT_MASTER_KEY: OLD_MASTER,
        DEVHOST_MASTER_KEY: 'short',
        DEVHOST_FUNCTION_KEY: NEW_MASTER,
      }),
    ).toThrow(/DEVHOST_MASTER_KEY is shorter than/);
  });

  it('names only the DEVHOST_* spelling in messages', () => {
    expect(settingName('MASTER_KEY')).toBe('DEVHOST_MASTER_KEY');
    expect(() => assertKeysForListenHost('0.0.0.0', {})).toThrow(/set DEVHOST_MASTER_KEY and DEVHOST_FUNCTION_KEY/);
  });
});
