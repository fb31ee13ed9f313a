// CloudEvents 1.0 endpoint (function key; Entra token when deployed behind App Service auth) HTTP trigger: adapter only; verification, parsing, receipts and publishing live in shared/intake.
import { app } from '@azure/functions';
import { intakeHttpHandler } from '../shared/intake/http';
import { getIntakeDeps } from '../shared/intake/runtime';

app.http('intake-cloudevents', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'events',
  handler: intakeHttpHandler('cloudevents', getIntakeDeps),
});
