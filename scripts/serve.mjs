// `npm start`: builds the browser app (index.html + src/app, into dist/) and serves it on this
// machine only, printing its address. Options:
//   --port N       port to listen on (default 4173; the next free one unless --strict-port)
//   --strict-port  fail rather than move to another port (the e2e tests pick a free one themselves)
//   --no-build     serve the dist/ already built
// WebGPU needs a secure context, which http://127.0.0.1 is, so the page works as served. The
// preview server sends vite.config.ts's cross-origin isolation headers (COOP/COEP), under which
// the float64 reference runs on every core.
import { parseArgs } from 'node:util';
import { build, preview } from 'vite';

/**
 * A user's mistake: one line, exit 2, as the CLI reports one.
 * @param {string} message
 * @returns {never}
 */
function refuse(message) {
  console.error(`error: ${message}`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string', default: '4173' },
      'strict-port': { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  // parseArgs's own words ("Unknown option '--bogus'"), not its stack.
  refuse(`${/** @type {Error} */ (error).message} (npm start takes --port N, --strict-port, --no-build)`);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  refuse(`--port must be an integer in 0..65535, got '${values.port}'`);
}

if (!values['no-build']) {
  console.log('building the app into dist/ …');
  await build({ logLevel: 'warn' });
}
const server = await preview({
  logLevel: 'warn',
  preview: { host: '127.0.0.1', port, strictPort: values['strict-port'], open: false },
}).catch((error) => {
  // vite rejects a taken port under --strict-port with its own Error, not EADDRINUSE.
  if (/is already in use/.test(error.message) || error.code === 'EADDRINUSE')
    refuse(`port ${port} is in use (drop --strict-port to take the next free one)`);
  if (error.code) refuse(`cannot listen on 127.0.0.1:${port} (${error.code})`);
  throw error;
});
// Ctrl+C is how this server is meant to end, not a run cut short: exit 0, so that npm does not
// report `npm start` as failed (the CLI's runs, which a signal does cut short, exit 128 + n). So is
// closing its terminal (SIGHUP), whose default action would end it without closing the server, and
// SIGTERM, on which vite's own listener exits 128 + 15 unless an exit code is set first. Taken
// before the address is printed: a signal sent on seeing it finds them in place.
const close = async () => {
  process.exitCode = 0;
  await server.close();
  process.exit();
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, close);

const url = server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${port}/`;
// One line the e2e tests (and people) look for; stdout so a pipe sees it at once.
console.log(`darwin-breit app: ${url}`);
console.log('press Ctrl+C to stop');
