/**
 * Summarizes a .cpuprofile (V8 sampling profile): self time by function and by module (npm package, or repo file),
 * and inclusive ("total") time by function, so a report can say where the time goes.
 *
 *   npx tsx bench/intake/profile-summary.ts FILE [--top 25] [--filter SUBSTRING]   (filter: only frames whose module contains it)
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function moduleOf(url: string): string {
  if (!url) return '(native/vm)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const repo = /\/work\/main\/(.*)$/.exec(url.replace(/^file:\/\//, ''));
  if (repo) return repo[1]!.replace(/^dist\//, '');
  return url.replace(/^node:/, 'node:');
}

/** Coarse cost centres of a webhook's path, by module; a sample goes to the innermost frame that has one. */
const GROUPS: Array<[string, RegExp]> = [
  [
    'Azure Tables client (data-tables + core-client/rest-pipeline/tracing) and shared/records',
    /^(@azure\/(data-tables|core-client|core-rest-pipeline|core-tracing|core-xml|core-auth|core-util|abort-controller)|@typespec\/ts-http-runtime|shared\/records\/)/,
  ],
  [
    'Service Bus (SDK, rhea, embedded broker, shared/bus)',
    /^(@azure\/(service-bus|core-amqp)|rhea|rhea-promise|devhost\/servicebus\/|shared\/bus\/)/,
  ],
  [
    'Durable client + engine (durable-functions, axios, devhost/durable, shared/router)',
    /^(durable-functions|axios|follow-redirects|devhost\/durable\/|shared\/router\/|functions\/router)/,
  ],
  ['node:http client sockets (outgoing requests: Azurite Tables, durable HTTP API)', /^node:_http_(client|agent)$/],
  ['policy YAML load/parse (yaml, shared/policy)', /^(yaml|shared\/policy\/)/],
  ['host logging (devhost/host/logger)', /^devhost\/host\/logger/],
  [
    'host HTTP + @azure/functions request/response (devhost/http, undici, node:http server)',
    /^(devhost\/http\/|@azure\/functions|node:internal\/deps\/undici|node:internal\/webstreams|node:_http_server)/,
  ],
  ['host invoke/dispatch (devhost/host)', /^devhost\/host\//],
  ['intake logic (shared/intake, events, zod, config)', /^(shared\/(intake|events|config)\/|zod|functions\/intake)/],
  ['other own code (orchestrations, shared/*, functions/*)', /^(orchestrations|shared|functions)\//],
];

function groupOf(module: string): string | undefined {
  return GROUPS.find(([, re]) => re.test(module))?.[0];
}

function frameName(n: ProfileNode): string {
  const f = n.callFrame;
  return `${f.functionName || '(anonymous)'} ${moduleOf(f.url)}:${f.lineNumber + 1}`;
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' }, filter: { type: 'string' } },
  });
  const file = positionals[0];
  if (!file) throw new Error('usage: profile-summary.ts FILE [--top N]');
  const top = Number(values.top);
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const selfUs = new Map<number, number>();
  p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idle = [...selfUs.entries()]
    .filter(([id]) =>
      ['(idle)', '(program)', '(garbage collector)'].includes(byId.get(id)?.callFrame.functionName ?? ''),
    )
    .map(([id, us]) => `${byId.get(id)!.callFrame.functionName} ${((100 * us) / totalUs).toFixed(1)}%`);

  const selfByFn = new Map<string, number>();
  const selfByModule = new Map<string, number>();
  const inclByFn = new Map<string, number>();
  const inclByModule = new Map<string, number>();
  // Each sample charged to the innermost frame in this repo's code (async continuations start fresh stacks, so
  // this is "which of our functions, or which library callback, was running"), else to the innermost library.
  const byNearestOwn = new Map<string, number>();
  const byGroup = new Map<string, number>();
  const isOwn = (url: string) => /\/work\/main\/dist\/(shared|functions|orchestrations|devhost)\//.test(url);
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    selfByFn.set(frameName(n), (selfByFn.get(frameName(n)) ?? 0) + us);
    selfByModule.set(moduleOf(n.callFrame.url), (selfByModule.get(moduleOf(n.callFrame.url)) ?? 0) + us);
    // Inclusive: each sample counts once per distinct function / module on its stack.
    const fns = new Set<string>();
    const mods = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const c = byId.get(cur)!;
      fns.add(frameName(c));
      mods.add(moduleOf(c.callFrame.url));
    }
    for (const f of fns) inclByFn.set(f, (inclByFn.get(f) ?? 0) + us);
    let owner: string | undefined;
    let firstLib: string | undefined;
    for (let cur: number | undefined = id; cur !== undefined && owner === undefined; cur = parent.get(cur)) {
      const c = byId.get(cur)!;
      if (isOwn(c.callFrame.url)) owner = frameName(c);
      else if (firstLib === undefined && c.callFrame.url && !c.callFrame.url.startsWith('node:'))
        firstLib = `[lib] ${moduleOf(c.callFrame.url)}`;
    }
    let group: string | undefined;
    for (let cur: number | undefined = id; cur !== undefined && group === undefined; cur = parent.get(cur))
      group = groupOf(moduleOf(byId.get(cur)!.callFrame.url));
    const fnName = n.callFrame.functionName;
    group ??= ['(idle)', '(program)', '(garbage collector)'].includes(fnName)
      ? fnName
      : `unattributed node core/native (socket writes, timers, microtasks)`;
    byGroup.set(group, (byGroup.get(group) ?? 0) + us);
    const key = owner ?? firstLib ?? `[node/native] ${frameName(n)}`;
    byNearestOwn.set(key, (byNearestOwn.get(key) ?? 0) + us);
    for (const m of mods) inclByModule.set(m, (inclByModule.get(m) ?? 0) + us);
  }
  const show = (title: string, m: Map<string, number>) => {
    console.log(`\n${title}${values.filter ? ` (frames matching ${values.filter})` : ''}`);
    for (const [k, us] of [...m.entries()]
      .filter(([k]) => values.filter === undefined || k.includes(values.filter))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top))
      console.log(
        `  ${((100 * us) / totalUs).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`,
      );
  };
  console.log(`${file}: ${(totalUs / 1e6).toFixed(2)} s sampled; ${idle.join(', ')}`);
  show('cost centres (each sample to the innermost frame of a known group)', byGroup);
  show('self time by module', selfByModule);
  show('self time by function', selfByFn);
  show('inclusive time by module', inclByModule);
  show('inclusive time by function', inclByFn);
  show('self time charged to the innermost own (repo) frame, else the innermost library', byNearestOwn);
}

main();
