export * from './types';
export * from './data';
export * from './dedupe';
export * from './envelope';
export * from './identifiers';
export * from './message';
export { renderEventSchemas } from './json-schema';
