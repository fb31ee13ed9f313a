export * from './message';
export * from './render';
export * from './send';
