export * from './port';
export * from './databricks-runner';
export * from './local-runner';
export * from './composite-runner';
