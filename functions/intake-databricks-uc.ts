// Unity Catalog relay (model update trigger job, integrations/databricks) HTTP trigger: adapter only; verification,
// parsing, receipts and publishing live in shared/intake.
import { intakeHttpHandler } from '../shared/intake/http';
import { getIntakeDeps } from '../shared/intake/runtime';
import { rawRoute } from './lib/route';

rawRoute('intake-databricks-uc', {
  methods: ['POST'],
  auth: 'signature',
  note: 'the intake verifies the relay signature (HMAC over timestamp.body, replay window) before parsing',
  route: 'webhooks/databricks-uc',
  raw: intakeHttpHandler('databricks-uc', getIntakeDeps),
});
