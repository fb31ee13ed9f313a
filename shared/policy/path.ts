/** `['models', 'fraud-*', 'escalation', 0, 'after']` → `models.fraud-*.escalation[0].after`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const s = String(seg);
      out += /^[^.[\]\s"]+$/.test(s) ? (out ? `.${s}` : s) : `["${s.replace(/"/g, '\\"')}"]`;
    }
  }
  return out;
}
