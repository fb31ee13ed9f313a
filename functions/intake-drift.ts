// Generic drift payload (function key + optional DRIFT_WEBHOOK_KEYS) HTTP trigger: adapter only; verification, parsing, receipts and publishing live in shared/intake.
import { intakeHttpHandler } from '../shared/intake/http';
import { getIntakeDeps } from '../shared/intake/runtime';
import { rawRoute } from './lib/route';

rawRoute('intake-drift', {
  methods: ['POST'],
  auth: 'function-key',
  note: 'function key (+ DRIFT_WEBHOOK_KEYS when set)',
  route: 'events/drift',
  raw: intakeHttpHandler('drift', getIntakeDeps),
});
