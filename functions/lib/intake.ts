/**
 * Registers one HTTP function per intake source through the route layer: name `intake-<source>`, the route, methods
 * and auth kind the source declares (shared/intake/sources). Function names and routes are the sources' contract
 * (URLs, function keys, `AzureWebJobs.<fn>.Disabled`); test/security/routes.test.ts checks them against the docs.
 */
import type { HttpRequest, InvocationContext } from '@azure/functions';
import { intakeHttpHandler, type IntakeDeps } from '../../shared/intake';
import { checkSourceList, type IntakeSource } from '../../shared/intake/sources';
import { rawRoute } from './route';

export function intakeFunctionName(source: IntakeSource): string {
  return `intake-${source.name}`;
}

export function registerIntakeSources(
  sources: readonly IntakeSource[],
  getDeps: () => IntakeDeps | Promise<IntakeDeps>,
): void {
  checkSourceList(sources);
  for (const source of sources) {
    const handler = intakeHttpHandler(source, getDeps);
    rawRoute(intakeFunctionName(source), {
      methods: source.http.methods,
      auth: source.http.auth,
      note: source.http.note,
      route: source.http.route,
      raw: (request: HttpRequest, context: InvocationContext) => handler(request, context),
    });
  }
}
