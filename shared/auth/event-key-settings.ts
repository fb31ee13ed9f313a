/**
 * The `eventKeys` section: STAGECRAFT_EVENT_KEYS, the keys privileged CloudEvents need (shared/auth/event-keys.ts
 * holds the schema and the scope check; this module loads the config, which the intake sources must not).
 */
import type { Env } from '../config/env';
import { defineSection, loadSection } from '../config/section';
import { eventKeysSetting, type EventKey } from './event-keys';

export const eventKeysSection = defineSection(
  'eventKeys',
  { STAGECRAFT_EVENT_KEYS: eventKeysSetting },
  (v): readonly EventKey[] => v.STAGECRAFT_EVENT_KEYS,
);

/** @throws ConfigError naming STAGECRAFT_EVENT_KEYS (entry names only, never a key) */
export function eventKeySettings(env: Env = process.env): readonly EventKey[] {
  return loadSection(eventKeysSection, env);
}
