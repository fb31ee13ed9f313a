export * from './auth';
export * from './errors';
export * from './retry';
export * from './rest-client';
