// MLflow registry webhook (signed: X-MLflow-Signature) HTTP trigger: adapter only; verification, parsing, receipts and publishing live in shared/intake.
import { app } from '@azure/functions';
import { intakeHttpHandler } from '../shared/intake/http';
import { getIntakeDeps } from '../shared/intake/runtime';

app.http('intake-mlflow', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'webhooks/mlflow',
  handler: intakeHttpHandler('mlflow', getIntakeDeps),
});
