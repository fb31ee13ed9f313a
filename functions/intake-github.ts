// GitHub webhook (signed: X-Hub-Signature-256) HTTP trigger: adapter only; verification, parsing, receipts and publishing live in shared/intake.
import { intakeHttpHandler } from '../shared/intake/http';
import { getIntakeDeps } from '../shared/intake/runtime';
import { rawRoute } from './lib/route';

rawRoute('intake-github', {
  methods: ['POST'],
  auth: 'signature',
  note: 'the intake verifies the sender (signature, shared secret or basic auth) before parsing',
  route: 'webhooks/github',
  raw: intakeHttpHandler('github', getIntakeDeps),
});
