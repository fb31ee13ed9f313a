/**
 * One definition per intake source: its HTTP route and auth kind, its settings (zod, documented), its verifier, how
 * to find the delivery id, and how to turn a parsed JSON body into Stagecraft CloudEvents, an `ignored` answer, or a
 * ValidationError naming the fields at fault (zod issue paths). `defineSource` checks a definition's types and
 * erases them to `IntakeSource`; the list in `./index.ts` is the only place that enumerates sources, and the intake
 * HTTP functions, the settings schema and the route table of docs/SECURITY.md are all derived from it.
 */
import type { z } from 'zod';
import type { StagecraftConfig } from '../../config';
import { ConfigError, type ValidationError } from '../../errors';
import type { AnyStagecraftEvent } from '../../events';
import type { BodyOptions } from '../body';
import type { HttpRequestLike, HttpResponseLike, LogContextLike } from '../http-types';
import type { DeliveryRequest } from '../request';
import type { IntakeDeps } from '../service';
import type { Verifier } from '../verifiers';

export type ParseOutcome =
  | { kind: 'events'; events: AnyStagecraftEvent[] }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; error: ValidationError };

export interface ParseContext {
  config: StagecraftConfig;
  request: DeliveryRequest;
  deliveryId: string;
  /** Receive time, RFC 3339. */
  now: string;
}

/** One setting a source reads: its zod schema (input: the raw app setting, or undefined) and its docs line. */
export interface SettingSpec<T = unknown> {
  schema: z.ZodType<T, string | undefined>;
  /** What it is and what to set (README table, start-up errors). */
  description: string;
  secret?: boolean;
  /** Documented default (the schema applies it). */
  default?: string;
}

export type SettingSpecs = Record<string, SettingSpec>;
export type SettingValues<S extends SettingSpecs> = { [K in keyof S]: S[K] extends SettingSpec<infer T> ? T : never };

/** A setting problem that involves several settings (e.g. a user name without a password), named by the one to fix. */
export interface SettingsProblem<S extends SettingSpecs = SettingSpecs> {
  setting: keyof S & string;
  problem: string;
}

/** Route auth kinds an intake route may declare (functions/lib/route.ts `rawRoute`). */
export type IntakeAuth = 'signature' | 'function-key';
export type IntakeMethod = 'POST' | 'OPTIONS';

/**
 * An HTTP step around the standard intake handler, for a source whose endpoint does more than deliver (an OPTIONS
 * handshake, a per-type key check). `deliver` runs the standard path (size cap → verify → parse → publish → receipt).
 * Its I/O comes through `deps` (the source modules import no config or adapters, so the config can import the list).
 */
export type IntakeHttpStep = (
  request: HttpRequestLike,
  context: LogContextLike | undefined,
  deliver: (request: HttpRequestLike) => Promise<HttpResponseLike>,
  deps: IntakeDeps,
) => Promise<HttpResponseLike>;

export interface IntakeHttp {
  /** Route under /api (no leading slash), e.g. `webhooks/github`. The function is named `intake-<source name>`. */
  route: string;
  methods: readonly IntakeMethod[];
  /** `signature`: anonymous at the host, the verifier is the gate; `function-key`: the host checks a key first. */
  auth: IntakeAuth;
  /** One line for the route table (route layer note). */
  note: string;
  /** The "who may call it, and how it is checked" cell of docs/SECURITY.md's route table. */
  security: string;
  step?: IntakeHttpStep;
}

export interface IntakeSourceDefinition<N extends string, K extends string, S extends SettingSpecs, C> {
  readonly name: N;
  /** CloudEvents `source` of the events it emits. */
  readonly eventSource: string;
  readonly http: IntakeHttp;
  readonly settings: {
    /** Slot of this source's settings in `config.intake`. */
    key: K;
    /** App setting name → spec. Names are unique across sources (checked when the list is built). */
    env: S;
    check?: (values: SettingValues<S>) => Array<SettingsProblem<S>>;
    /** The parsed settings as the source uses them (`config.intake[key]`). */
    toConfig: (values: SettingValues<S>) => C;
  };
  verifier(settings: C): Verifier;
  /** Body formats besides JSON this source's sender uses (see shared/intake/body.ts). */
  readonly body?: BodyOptions;
  /** The sender's delivery id when it has one (header or body field); the service falls back to the body hash. */
  deliveryId(request: DeliveryRequest, body: unknown): string | undefined;
  parse(body: unknown, ctx: ParseContext & { settings: C }): ParseOutcome;
}

/** A source as the intake runs it (types of its settings erased; `K`/`C` kept for the config type). */
export interface IntakeSource<N extends string = string, K extends string = string, C = unknown> {
  readonly name: N;
  readonly eventSource: string;
  readonly http: IntakeHttp;
  readonly settings: {
    key: K;
    env: SettingSpecs;
    check?: (values: Record<string, unknown>) => SettingsProblem[];
    toConfig: (values: Record<string, unknown>) => C;
  };
  /** This source's slice of `config.intake`. */
  settingsOf(config: StagecraftConfig): C;
  verifier(config: StagecraftConfig): Verifier;
  readonly body?: BodyOptions;
  deliveryId(request: DeliveryRequest, body: unknown): string | undefined;
  parse(body: unknown, ctx: ParseContext): ParseOutcome;
}

export function defineSource<N extends string, K extends string, S extends SettingSpecs, C>(
  def: IntakeSourceDefinition<N, K, S, C>,
): IntakeSource<N, K, C> {
  const settingsOf = (config: StagecraftConfig): C => {
    const slot = (config.intake as unknown as Record<string, unknown>)[def.settings.key];
    // Only a config built without INTAKE_SETTINGS (shared/intake/sources/index.ts) can miss a slot.
    if (slot === undefined)
      throw new ConfigError(
        `settings of intake source ${def.name} are not loaded (config.intake.${def.settings.key}): build the config with INTAKE_SETTINGS`,
      );
    return slot as C;
  };
  const { check, toConfig } = def.settings;
  return {
    name: def.name,
    eventSource: def.eventSource,
    http: def.http,
    settings: {
      key: def.settings.key,
      env: def.settings.env,
      ...(check
        ? {
            check: (values: Record<string, unknown>): SettingsProblem[] =>
              check(values as SettingValues<S>).map((p) => ({ setting: p.setting, problem: p.problem })),
          }
        : {}),
      toConfig: (values) => toConfig(values as SettingValues<S>),
    },
    settingsOf,
    verifier: (config) => def.verifier(settingsOf(config)),
    ...(def.body ? { body: def.body } : {}),
    deliveryId: (request, body) => def.deliveryId(request, body),
    parse: (body, ctx) => def.parse(body, { ...ctx, settings: settingsOf(ctx.config) }),
  };
}
