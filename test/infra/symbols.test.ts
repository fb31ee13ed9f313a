/**
 * Issue #18: every name a Bicep expression uses is declared (a param, var, resource, module, loop or lambda
 * variable) or is a Bicep function — the undefined-symbol check the compiler would make, done offline. Tokens are read
 * outside string literals and inside `${...}` interpolations; property names (after `.`) and object keys (before
 * `:`) are not symbols.
 */
import { describe, expect, it } from 'vitest';
import { loadInfra } from './bicep';

const FUNCTIONS = new Set([
  'concat',
  'contains',
  'empty',
  'environment',
  'filter',
  'guid',
  'items',
  'loadJsonContent',
  'map',
  'replace',
  'resourceGroup',
  'subscription',
  'subscriptionResourceId',
  'take',
  'tenant',
  'toLower',
  'toObject',
  'union',
  'uniqueString',
  'deployer',
]);
const KEYWORDS = new Set([
  'param',
  'var',
  'resource',
  'module',
  'output',
  'existing',
  'for',
  'in',
  'if',
  'true',
  'false',
  'null',
  'string',
  'int',
  'bool',
  'object',
  'array',
  'targetScope',
  'extension',
  'microsoftGraphV1',
  'scope',
  'parent',
  'name',
  'dependsOn',
]);

/** Code with string contents blanked, except the code inside `${...}`. */
function codeOnly(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== "'") {
      out += c;
      continue;
    }
    out += "'";
    i++;
    while (i < text.length && text[i] !== "'") {
      if (text[i] === '\\') {
        out += '  ';
        i += 2;
        continue;
      }
      if (text.startsWith('${', i)) {
        let depth = 1;
        let j = i + 2;
        while (j < text.length && depth > 0) {
          if (text[j] === '{') depth++;
          else if (text[j] === '}') depth--;
          j++;
        }
        out += ` (${codeOnly(text.slice(i + 2, j - 1))}) `;
        i = j;
        continue;
      }
      out += ' ';
      i++;
    }
    out += "'";
  }
  return out;
}

describe('infra: symbols', () => {
  for (const f of loadInfra()) {
    it(`${f.rel}: every symbol used is declared or a Bicep function`, () => {
      const declared = new Set(f.decls.map((d) => d.name));
      const code = codeOnly(f.text).replace(/^@\w+/gm, '');
      for (const m of code.matchAll(/\[for\s+\(?\s*(\w+)(?:\s*,\s*(\w+))?\s*\)?\s+in\b/g)) {
        declared.add(m[1]!);
        if (m[2]) declared.add(m[2]);
      }
      for (const m of code.matchAll(/\b(\w+)\s*=>/g)) declared.add(m[1]!);
      for (const m of code.matchAll(/\((\w+)\s*,\s*(\w+)\)\s*=>/g)) {
        declared.add(m[1]!);
        declared.add(m[2]!);
      }
      const unknown = new Set<string>();
      for (const m of code.matchAll(/(?<![.\w$])([A-Za-z_]\w*)\b(?!\s*:(?!:))/g)) {
        const name = m[1]!;
        if (declared.has(name) || FUNCTIONS.has(name) || KEYWORDS.has(name)) continue;
        // `resource x 'Type@version'` names and decorators were removed; numbers never match.
        unknown.add(name);
      }
      expect([...unknown]).toEqual([]);
    });
  }

  it('catches an undefined symbol', () => {
    const code = codeOnly("var a = '${undefinedThing}'");
    expect(code).toContain('undefinedThing');
  });
});
