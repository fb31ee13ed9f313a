// Generic drift payload (function key + optional DRIFT_WEBHOOK_KEYS) HTTP trigger: adapter only; verification, parsing, receipts and publishing live in shared/intake.
import { app } from '@azure/functions';
import { intakeHttpHandler } from '../shared/intake/http';
import { getIntakeDeps } from '../shared/intake/runtime';

app.http('intake-drift', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'events/drift',
  handler: intakeHttpHandler('drift', getIntakeDeps),
});
