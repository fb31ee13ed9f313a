/** `GET /api/audit?from=&to=&action=&actor=&limit=`: the audit log, newest first (operators). */
import { z } from 'zod';
import { MAX_AUDIT_DAYS, queryAudit } from '../shared/audit';
import { ValidationError } from '../shared/errors';
import { route } from './lib/route';

const AuditQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  action: z
    .string()
    .regex(/^[A-Za-z0-9_.*-]{1,100}$/, {
      error: 'must be an action name such as approval.decision (or a prefix like approval.*)',
    })
    .optional(),
  actor: z.string().min(1).max(320).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

route('auditList', {
  methods: ['GET'],
  route: 'audit',
  auth: 'operator',
  note: 'role operator or admin; refusals audited',
  query: AuditQuery,
  errorPrefix: 'AUDIT',
  handler: async (ctx) => {
    const to = ctx.query.to ? new Date(ctx.query.to) : new Date();
    const from = ctx.query.from ? new Date(ctx.query.from) : new Date(to.getTime() - 24 * 3600_000);
    if (!(from <= to)) throw new ValidationError('AUDIT_QUERY_INVALID', 'query: from must not be after to');
    if (to.getTime() - from.getTime() > MAX_AUDIT_DAYS * 86_400_000)
      throw new ValidationError('AUDIT_QUERY_INVALID', `query: at most ${MAX_AUDIT_DAYS} days per request`);
    const entries = await queryAudit({
      from,
      to,
      limit: ctx.query.limit ?? 100,
      ...(ctx.query.action ? { action: ctx.query.action } : {}),
      ...(ctx.query.actor ? { actor: ctx.query.actor } : {}),
    });
    return {
      status: 200,
      jsonBody: { entries, query: { from: from.toISOString(), to: to.toISOString(), ...ctx.query } },
    };
  },
});
