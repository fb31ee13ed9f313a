export * from './contract';
export * from './backoff';
export { findJobRunOwner, recordJobRunOwner, type JobRunOwner } from './owners';
