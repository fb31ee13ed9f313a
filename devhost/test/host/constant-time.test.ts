/** The local host's one constant-time "any secret matches" (devhost/lib/constant-time.ts). */
import { describe, expect, it } from 'vitest';
import { anySecretMatches, firstMatchingSecret } from '../../lib/constant-time';

describe('anySecretMatches', () => {
  it('is true exactly when the candidate equals one of the secrets, strings and bytes alike', () => {
    expect(anySecretMatches('s3cret', ['other', 's3cret'])).toBe(true);
    expect(anySecretMatches('s3cret', ['other', 's3cre', 's3cret!', 'S3CRET'])).toBe(false);
    expect(anySecretMatches(Buffer.from([1, 2, 3]), [Buffer.from([1, 2, 3])])).toBe(true);
    expect(anySecretMatches('é', [Buffer.from('é', 'utf8')])).toBe(true);
    expect(anySecretMatches('x', [])).toBe(false);
  });

  it('compares values of different lengths without throwing (timingSafeEqual alone would)', () => {
    expect(anySecretMatches('short', ['a much longer secret value'])).toBe(false);
    expect(anySecretMatches('', ['nonempty'])).toBe(false);
  });

  it('compares every secret even after a match (no early exit)', () => {
    const asked: string[] = [];
    const secrets = ['a', 'b', 'c'];
    const hit = firstMatchingSecret('a', secrets, (s) => (asked.push(s), s));
    expect(hit).toBe('a');
    expect(asked).toEqual(['a', 'b', 'c']);
  });
});

describe('firstMatchingSecret', () => {
  it('returns the first matching item in order, skipping items without a secret', () => {
    const keys = [
      { name: 'none', key: undefined },
      { name: 'one', key: 'k1' },
      { name: 'two', key: 'k2' },
      { name: 'dup', key: 'k2' },
    ];
    expect(firstMatchingSecret('k2', keys, (k) => k.key)?.name).toBe('two');
    expect(firstMatchingSecret('k3', keys, (k) => k.key)).toBeUndefined();
  });
});
