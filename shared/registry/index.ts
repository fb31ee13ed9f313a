export * from './port';
export { mlflowModelRegistry } from './mlflow';
export { unityCatalogRegistry, ucVersionToMlflow } from './unity-catalog';
export { registryIssues, registryNameIssue } from './policy-rules';
