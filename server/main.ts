/** `npm start`: configuration from the environment (and .env), then one Parley instance until SIGTERM/SIGINT. */
import 'dotenv/config';
import { ConfigError, loadConfig } from './app/config.js';
import { startParley } from './app/parley.js';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(78); // EX_CONFIG
  }
  throw err;
}

const parley = await startParley(config).catch((err: Error) => {
  console.error(`Parley could not start: ${err.message}`);
  process.exit(1);
});
console.log(`Parley is running at ${config.publicUrl.href}`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    parley.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    void parley.close().then(() => process.exit(0));
  });
}
