/** Key escaping for Azure Tables (pure). */
import { describe, expect, it } from 'vitest';
import { chunkText, compositeKey, entityBytes, escapeKey, unescapeKey } from '../../shared/records';

describe('table key escaping', () => {
  it('removes every character Azure Tables forbid in keys and round-trips', () => {
    const natural = 'a/b\\c#d?e%f\u0001g\u007fh\u0085i:j';
    const key = escapeKey(natural);
    expect(key).not.toMatch(/[/\\#?\u0000-\u001f\u007f-\u009f]/);
    expect(unescapeKey(key)).toBe(natural);
  });

  it('keeps distinct ids distinct, including ids that look escaped', () => {
    expect(escapeKey('a%2Fb')).not.toBe(escapeKey('a/b'));
    expect(compositeKey('a:b', 'c')).not.toBe(compositeKey('a', 'b:c'));
  });

  it('gives every long id a key within 1 KiB: a prefix plus a hash, deterministic, distinct, never equal to a plain key', () => {
    const a = escapeKey('/'.repeat(200));
    const b = escapeKey(`${'/'.repeat(199)}x`);
    expect(a.length).toBeLessThanOrEqual(512);
    expect(a).toBe(escapeKey('/'.repeat(200)));
    expect(a).not.toBe(b);
    expect(a.startsWith('%2F%2F')).toBe(true);
    expect(a).not.toMatch(/[/\\#?\u0000-\u001f\u007f-\u009f]/);
    // The prefix is never cut inside an escape or a surrogate pair.
    expect(escapeKey(`a${'/'.repeat(300)}`)).toMatch(/^a(%2F)+%h[\w-]{43}$/);
    const emoji = escapeKey('😀'.repeat(400));
    expect(emoji).toMatch(/^(😀)+%h[\w-]{43}$/u);
    // A key a short id really has is never a hashed key of a long one (escapes are %XX, the hash mark is %h).
    expect(escapeKey('%h')).toBe('%25h');
    // Short ids keep the key they always had.
    expect(escapeKey('fraud/detector')).toBe('fraud%2Fdetector');
  });

  it('refuses an ill-formed id (lone surrogate) with a typed 400', () => {
    expect(() => escapeKey('x\ud800y')).toThrow(
      expect.objectContaining({ code: 'RECORD_KEY_INVALID', status: 400 }) as Error,
    );
  });

  it('counts entity size like the service (UTF-16 strings, 8 bytes per numeric/date)', () => {
    expect(entityBytes('p', 'r', { s: 'ab', n: 1, b: true })).toBe(
      4 + 2 + 2 + (8 + 2 + 4 + 4) + (8 + 2 + 8) + (8 + 2 + 1),
    );
  });
});

describe('chunkText', () => {
  it('keeps every chunk within 32 KiB of UTF-8 and never splits a surrogate pair', () => {
    const text = `${'a'.repeat(40_000)}${'é'.repeat(20_000)}${'😀'.repeat(10_000)}`;
    const chunks = chunkText(text);
    expect(chunks.join('')).toBe(text);
    for (const c of chunks) {
      expect(Buffer.byteLength(c, 'utf8')).toBeLessThanOrEqual(32_768);
      expect(c).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
    }
  });
});
