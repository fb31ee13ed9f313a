/**
 * Policy as code. This index is pure (no Node built-ins): orchestrators may import it.
 * File access lives in './load' (loadPolicy) and './check' (policyCheck for the CLI).
 */
export * from './schema-common';
export * from './schema-model';
export * from './schema-file';
export * from './errors';
export * from './glob';
export * from './merge';
export * from './template';
export * from './job-spec';
export * from './parameters';
export * from './parse';
export * from './resolve';
