#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is TypeScript compiled to dist/ by `npm run build` (cli/ plugs Stagecraft's operator
// commands into the local host's CLI, devhost/cli.ts).
const path = require('node:path');
// Node 22+: V8's compile cache keeps the compiled code of the host and the app between starts; a start compiles about
// a thousand modules. In the user's own cache dir (or NODE_COMPILE_CACHE), not Node's default in the shared temp dir,
// where another local user could plant entries. Node 20 has no such cache; this is then a no-op.
require('node:module').enableCompileCache?.(
  process.env.NODE_COMPILE_CACHE || path.join(require('node:os').homedir(), '.cache', 'node-compile-cache'),
);
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'cli', 'index.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('stagecraft: dist/cli/index.js is missing; run `npm run build` first.\n');
  process.exit(1);
}
require(entry)
  .main(process.argv.slice(2))
  .then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`stagecraft: ${e && e.stack ? e.stack : e}\n`);
      process.exit(1);
    },
  );
