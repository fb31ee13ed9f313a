// Azure DevOps service hook (basic auth or shared header) HTTP trigger: adapter only; verification, parsing, receipts and publishing live in shared/intake.
import { app } from '@azure/functions';
import { intakeHttpHandler } from '../shared/intake/http';
import { getIntakeDeps } from '../shared/intake/runtime';

app.http('intake-azure-devops', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'webhooks/azure-devops',
  handler: intakeHttpHandler('azure-devops', getIntakeDeps),
});
