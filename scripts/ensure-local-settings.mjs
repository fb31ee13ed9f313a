// `npm start` on a fresh clone: create local.settings.json from the sample once (it is git-ignored and may hold
// secrets, so an existing file is never touched).
import { copyFileSync, existsSync } from 'node:fs';

if (!existsSync('local.settings.json')) {
  copyFileSync('local.settings.sample.json', 'local.settings.json');
  console.log('Created local.settings.json from local.settings.sample.json (edit it to change local settings).');
}
