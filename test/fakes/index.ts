export { startFakeMlflow, type FakeMlflow, type FakeMlflowState } from './mlflow';
export {
  startFakeDatabricks,
  type FakeDatabricks,
  type FakeDatabricksState,
  type RunBehavior,
  type ResultState,
} from './databricks';
export {
  startJsonServer,
  HttpError,
  RAW_BODY,
  type InjectedFailure,
  type RecordedRequest,
  type JsonServer,
} from './json-server';
export {
  mlflowSignature,
  postMlflowDelivery,
  pythonJson,
  pythonIsoTimestamp,
  signedMlflowDelivery,
  signedVersionCreated,
  type SignedMlflowDelivery,
  type WebhookDelivery,
} from './mlflow-webhooks';
export { startFakeSlack, type FakeSlack } from './slack';
export { startFakeAcsEmail, type FakeAcsEmail } from './acs-email';
export { startFakeServing, type FakeServing, type FakeEndpoint } from './databricks-serving';
export { startFakeSql, type FakeSql, type SqlRecorded, type QueryAnswer } from './databricks-sql';
export { startFakeWorkspace, type FakeWorkspace } from './databricks-workspace';
