/**
 * `npm run doctor`: loads the configuration exactly as `npm start` does (environment and .env), then checks the
 * installation from the outside: database and migrations, public URL and its WebSocket upgrade, clocks, XMPP
 * domains. One line per check; exit code 0 when every check passes, 1 otherwise.
 */
import 'dotenv/config';
import { ConfigError, loadConfig, type Config } from '../app/config.js';
import { fail, formatResults } from '../ops/check.js';
import { runDoctor } from '../ops/doctor.js';

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  const results = err.problems.map((p) => fail('configuration', p, `fix ${p.split('=')[0]} in the environment or /etc/parley/env (see README "Configuration")`));
  console.log(formatResults(results));
  process.exit(1);
}

console.log(`Parley doctor: ${config.publicUrl.href}`);
const results = await runDoctor({ config });
console.log(formatResults(results));
process.exit(results.every((r) => r.ok) ? 0 : 1);
