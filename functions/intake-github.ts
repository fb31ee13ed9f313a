// GitHub webhook (signed: X-Hub-Signature-256) HTTP trigger: adapter only; verification, parsing, receipts and publishing live in shared/intake.
import { app } from '@azure/functions';
import { intakeHttpHandler } from '../shared/intake/http';
import { getIntakeDeps } from '../shared/intake/runtime';

app.http('intake-github', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'webhooks/github',
  handler: intakeHttpHandler('github', getIntakeDeps),
});
