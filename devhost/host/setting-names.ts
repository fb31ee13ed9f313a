/**
 * Names of the host's own settings. Each is `DEVHOST_<NAME>`; the spelling this host had while it lived inside its
 * first app, `STAGECRAFT_<NAME>`, is still read as a back-compat alias (devhost/README.md lists both). When both are
 * set, the DEVHOST_ name wins. Messages always name the DEVHOST_ spelling.
 */
const PREFIX = 'DEVHOST_';
/** Back-compat alias prefix: read, never written, never printed. */
const LEGACY_PREFIX = 'STAGECRAFT_';

/** The names the host reads, without prefix. */
export type HostSettingName =
  | 'MASTER_KEY'
  | 'FUNCTION_KEY'
  | 'FUNCTION_KEYS'
  | 'LOG_LEVEL'
  | 'LOG_FORMAT'
  | 'SHUTDOWN_TIMEOUT_MS'
  | 'SERVICEBUS_EMBEDDED'
  | 'DURABLE_SYNC'
  | 'BLOB_SCAN_INTERVAL_MS'
  | 'AZURITE_PERSISTENCE'
  | 'URL';

/** `DEVHOST_<name>`: the name to document and print. */
export function settingName(name: HostSettingName): string {
  return `${PREFIX}${name}`;
}

/** The legacy alias of a host setting (read only as a fallback). */
export function legacySettingName(name: HostSettingName): string {
  return `${LEGACY_PREFIX}${name}`;
}

/** The value of a host setting: `DEVHOST_<name>` when set, else the `STAGECRAFT_<name>` alias, else undefined. */
export function hostSetting(
  settings: Readonly<Record<string, string | undefined>>,
  name: HostSettingName,
): string | undefined {
  return settings[settingName(name)] ?? settings[legacySettingName(name)];
}

/**
 * The setting the host writes for the app: the absolute state dir. Written under both spellings, so apps that read
 * the old name (`STAGECRAFT_HOST_STATE_DIR`) keep working.
 */
export const STATE_DIR_SETTING = 'DEVHOST_STATE_DIR';
export const LEGACY_STATE_DIR_SETTING = `${LEGACY_PREFIX}HOST_STATE_DIR`;
