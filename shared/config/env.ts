/**
 * The one type of the settings a reader is given: the app settings (process.env in the app, an object in tests).
 * Every reader takes it as a parameter defaulting to process.env, so tests inject settings without touching the
 * process.
 */
export type Env = Readonly<Record<string, string | undefined>>;
