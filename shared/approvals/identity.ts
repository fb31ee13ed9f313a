/**
 * Who is calling: moved to shared/auth/identity.ts (one place for every route). Re-exported here so approval code
 * keeps its imports.
 */
export {
  authenticate,
  hasRole,
  principalIdentity,
  IDENTITY_KEY_HEADER,
  type AuthOutcome,
  type Identity,
  type Role,
} from '../auth/identity';
