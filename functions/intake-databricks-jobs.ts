// Databricks job run notifications (basic auth) HTTP trigger: adapter only; verification, parsing, receipts and publishing live in shared/intake.
import { app } from '@azure/functions';
import { intakeHttpHandler } from '../shared/intake/http';
import { getIntakeDeps } from '../shared/intake/runtime';

app.http('intake-databricks-jobs', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'webhooks/databricks-jobs',
  handler: intakeHttpHandler('databricks-jobs', getIntakeDeps),
});
