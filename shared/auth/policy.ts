/**
 * Who may call what: the auth kinds every HTTP route declares (functions/lib/route.ts), and their checks.
 * - signature: intake webhooks; the intake verifies the sender's signature/secret (host: anonymous).
 * - function-key: the Functions host checks a function key (authLevel function); an identity, when also presented
 *   in `x-stagecraft-key` or a trusted principal, is the caller.
 * - identity: any authenticated identity.
 * - approver: an authenticated identity; whether it approves the addressed request is checked in the handler.
 * - operator / admin: an identity with that role (admin implies operator).
 * - link: a signed approval link AND the identity it names (the link alone is never a credential).
 * - anonymous: no check (health only).
 * - master: the durable runtime's own routes (host-level master/system key), not app routes.
 */
import { AuthError } from '../errors';
import { authenticate, hasRole, IDENTITY_KEY_HEADER, type Identity } from './identity';
import type { AuthSettings } from './settings';

export const AUTH_KINDS = [
  'signature',
  'function-key',
  'identity',
  'approver',
  'operator',
  'admin',
  'link',
  'anonymous',
  'master',
] as const;
export type AuthKind = (typeof AUTH_KINDS)[number];

/** Host auth level each kind registers with. */
export function hostAuthLevel(kind: AuthKind): 'anonymous' | 'function' | 'admin' {
  if (kind === 'function-key') return 'function';
  if (kind === 'master') return 'admin';
  return 'anonymous';
}

export interface Caller {
  /** The authenticated identity, when there is one. */
  identity?: Identity;
  /** For function-key routes: the host checked a function key (no identity was presented). */
  functionKey: boolean;
}

export class Forbidden extends AuthError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(code, message, { status: 403, ...(details ? { details } : {}) });
  }
}

const HOW = 'sign in (App Service authentication) or send your identity key in the x-stagecraft-key header';

/**
 * Authenticates and checks the route's kind before its handler runs.
 * @throws AuthError 401 (no or bad credentials) / 403 (authenticated but not allowed)
 */
export function authorizeRequest(kind: AuthKind, headers: ReadonlyMap<string, string>, settings: AuthSettings): Caller {
  if (kind === 'anonymous' || kind === 'signature' || kind === 'master') return { functionKey: false };
  // On function-key routes x-functions-key is the host's function key, never an identity key.
  const outcome = authenticate(headers, settings, kind === 'function-key' ? { keyHeaders: [IDENTITY_KEY_HEADER] } : {});
  if (outcome.kind === 'refused') throw new AuthError(outcome.code, outcome.message, { status: outcome.status });
  if (kind === 'function-key')
    return outcome.kind === 'identity' ? { identity: outcome.identity, functionKey: true } : { functionKey: true };
  if (outcome.kind === 'none') throw new AuthError('AUTH_REQUIRED', `identify yourself: ${HOW}`);
  const who = outcome.identity;
  if ((kind === 'operator' || kind === 'admin') && !hasRole(who, kind)) {
    throw new Forbidden('AUTH_ROLE_REQUIRED', `${who.id} lacks the ${kind} role this route requires`, {
      role: kind,
      caller: who.id,
    });
  }
  return { identity: who, functionKey: false };
}
