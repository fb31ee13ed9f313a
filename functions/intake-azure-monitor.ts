// Azure Monitor action group, common alert schema (key in URL) HTTP trigger: adapter only; verification, parsing, receipts and publishing live in shared/intake.
import { app } from '@azure/functions';
import { intakeHttpHandler } from '../shared/intake/http';
import { getIntakeDeps } from '../shared/intake/runtime';

app.http('intake-azure-monitor', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'alerts/azure-monitor',
  handler: intakeHttpHandler('azure-monitor', getIntakeDeps),
});
