// Databricks SQL alert webhook destination (data quality monitoring alerts, key in URL): adapter only; verification,
// parsing, receipts and publishing live in shared/intake.
import { intakeHttpHandler } from '../shared/intake/http';
import { getIntakeDeps } from '../shared/intake/runtime';
import { rawRoute } from './lib/route';

rawRoute('intake-databricks-alerts', {
  methods: ['POST'],
  auth: 'signature',
  note: 'the intake verifies the key (?key= or X-Stagecraft-Key, DATABRICKS_ALERT_WEBHOOK_KEYS) before parsing',
  route: 'alerts/databricks',
  raw: intakeHttpHandler('databricks-alerts', getIntakeDeps),
});
