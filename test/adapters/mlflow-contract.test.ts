import { afterAll, beforeAll } from 'vitest';
import { type FakeMlflow, startFakeMlflow } from '../fakes';
import { mlflowContract } from './mlflow-contract';

let fake: FakeMlflow;
beforeAll(async () => {
  fake = await startFakeMlflow();
});
afterAll(async () => {
  await fake.close();
});

mlflowContract('fake server', () => fake);
