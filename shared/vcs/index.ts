export * from './types';
export * from './settings';
export * from './github';
export * from './azure-devops';
export * from './report';
export * from './contents';
