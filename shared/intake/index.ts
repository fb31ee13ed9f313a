export { handleDelivery, type IntakeDeps, type IntakeResult, type IntakeBody } from './service';
export { normalizeRequest, type DeliveryInput, type DeliveryRequest, type HeaderInput } from './request';
export * from './ports';
export {
  SOURCES,
  SOURCE_LIST,
  INTAKE_SETTINGS,
  INTAKE_CONFIG,
  INTAKE_SETTINGS_DOC,
  defineSource,
  isSourceName,
  parseAzureDevOpsEvent,
  branchMatches,
  classifyBranch,
  type SourceName,
  type IntakeSource,
  type IntakeSettings,
  type ParseOutcome,
  type ParseContext,
} from './sources';
export {
  intakeHttpHandler,
  toHttpResponse,
  errorToHttpResponse,
  type HttpRequestLike,
  type HttpResponseLike,
} from './http';
export { normalizeBusMessage } from './bus-ingress';
