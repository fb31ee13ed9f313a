/**
 * Pure decisions: no I/O, no clock reads, no Node built-ins, no SDKs. Safe to import from orchestrator code.
 */
export * from './time';
export * from './duration';
export * from './thresholds';
export * from './champion';
export * from './verdict';
export * from './approval';
export * from './approval-schedule';
export * from './drift';
export * from './cooldown';
export * from './ci';
export * from './cron';
