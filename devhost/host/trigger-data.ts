/**
 * How trigger data reaches a Node handler on Azure: the Functions host hands most trigger payloads to the worker as
 * strings (Service Bus and Storage queue messages, Event Hubs events, ...), and `@azure/functions`
 * (`fromRpcTypedData`) then tries `JSON.parse` on every string — for a single value and for each element of a
 * string collection (cardinality many) alike. Extensions that deliver such payloads pass them through here so a
 * handler sees what it would see in Azure: `{"a":1}` → object, `"x"` → x, `42` → 42, other text unchanged.
 */
export function fromWireString(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}
