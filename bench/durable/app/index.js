'use strict';
// Benchmark app: the Durable Functions samples (HelloSequence, fan-out/fan-in, a long sequence), public API only.
const df = require('durable-functions');

df.app.activity('Hello', { handler: (name) => `Hello ${name}` });
df.app.activity('Echo', { handler: (v) => v });

df.app.orchestration('HelloSequence5', function* (context) {
  const out = [];
  for (const city of ['Tokyo', 'Seattle', 'London', 'Paris', 'Cairo'])
    out.push(yield context.df.callActivity('Hello', city));
  return out;
});

df.app.orchestration('FanOut', function* (context) {
  const n = context.df.getInput().count;
  const tasks = [];
  for (let i = 0; i < n; i++) tasks.push(context.df.callActivity('Echo', i));
  const results = yield context.df.Task.all(tasks);
  return results.length;
});

df.app.orchestration('Sequential', function* (context) {
  const n = context.df.getInput().count;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += yield context.df.callActivity('Echo', i);
  return sum;
});
