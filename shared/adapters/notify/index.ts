export * from './message';
export * from './render';
export * from './send';
export * from './direct';
