/**
 * The ceiling: a trivial node:http server in its own process (like the host) that reads the body and answers 202
 * with a small JSON body. Same machine, same client; the ratio host/ceiling is what the intake pipeline costs.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const SERVER = `
const http = require('node:http');
const body = Buffer.from(JSON.stringify({ status: 'accepted', eventIds: ['00000000-0000-0000-0000-000000000000'] }));
const srv = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => { res.writeHead(202, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length }); res.end(body); });
});
srv.keepAliveTimeout = 30000;
srv.listen(0, '127.0.0.1', () => process.stdout.write('port=' + srv.address().port + '\\n'));
process.on('SIGTERM', () => srv.close(() => process.exit(0)));
`;

export interface CeilingServer {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export async function startCeiling(): Promise<CeilingServer> {
  const child: ChildProcess = spawn(process.execPath, ['-e', SERVER], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { PATH: process.env['PATH'] ?? '' },
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('ceiling server did not start in 15 s')), 15_000);
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /port=(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void exited.then(() => reject(new Error('ceiling server exited before listening')));
  });
  return {
    port,
    pid: child.pid ?? 0,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}
