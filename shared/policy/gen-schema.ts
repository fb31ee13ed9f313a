/**
 * Writes docs/policy.schema.json for editors (YAML language server, VS Code). Run: npx tsx shared/policy/gen-schema.ts
 *
 * `defaults` and `models.*` entries are partial layers of a model policy (merged before validation),
 * so their schema is the model policy schema with `required` lifted, except the discriminators
 * (`type`, `runner`, `action`) that select a variant.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { PolicyFile } from './schema-file';
import { ModelPolicy } from './schema-model';

const DISCRIMINATORS = new Set(['type', 'runner', 'action']);

function liftRequired(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(liftRequired);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'required' && Array.isArray(v)) {
      const kept = v.filter((f) => typeof f === 'string' && DISCRIMINATORS.has(f));
      if (kept.length) out[k] = kept;
    } else {
      out[k] = liftRequired(v);
    }
  }
  return out;
}

export function policyJsonSchema(): Record<string, unknown> {
  const file = z.toJSONSchema(PolicyFile, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  const layer = liftRequired(
    z.toJSONSchema(ModelPolicy, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }),
  ) as Record<string, unknown>;
  delete layer.$schema;
  const props = file.properties as Record<string, Record<string, unknown>>;
  props.defaults = { ...layer, description: 'Settings every model entry starts from.' };
  props.models = { ...props.models, additionalProperties: layer };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://stagecraft.dev/schemas/policy.schema.json',
    title: 'Stagecraft policy',
    description: 'Generated from shared/policy (zod) by shared/policy/gen-schema.ts; do not edit by hand.',
    ...Object.fromEntries(Object.entries(file).filter(([k]) => k !== '$schema')),
  };
}

if (require.main === module) {
  const out = join(__dirname, '..', '..', 'docs', 'policy.schema.json');
  writeFileSync(out, `${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
  console.log(`wrote ${out}`);
}
