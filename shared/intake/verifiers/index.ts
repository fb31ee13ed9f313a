export * from './types';
export { safeEqual, hmacSha256 } from './compare';
export { StandardWebhooksVerifier, type StandardWebhooksOptions } from './standard-webhooks';
export { HexHmacVerifier, type HexHmacOptions } from './hmac-hex';
export { BasicAuthVerifier, type BasicAuthOptions } from './basic-auth';
export { SharedSecretVerifier, type SharedSecretOptions } from './shared-secret';
export { AnyOfVerifier } from './any-of';
