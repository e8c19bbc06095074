// npm's `prepare` step, run by `npm ci` / `npm install` in a clone of the repository: builds dist/ when
// the compiler is installed. Without the dev dependencies (`npm ci --omit=dev`) there is nothing to build
// with, so it says so and lets the install succeed (`npm start` and `npm test` build anyway). `npm pack`
// and `npm publish` build in `prepack`, so this step does nothing then.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

if (process.env.npm_command === 'pack' || process.env.npm_command === 'publish') process.exit(0);
if (!existsSync('node_modules/typescript/bin/tsc') || !existsSync('node_modules/assemblyscript')) {
  console.error('ptychostudy: development dependencies are not installed, so dist/ was not built; ' +
    '`npm ci` (with them) builds it, and the published package ships it built.');
  process.exit(0);
}
const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
