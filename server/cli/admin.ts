/** `npm run admin -- sessions | end JID | promote JID | demote JID | admins` (see server/ops/admin-cli.ts). */
import 'dotenv/config';
import { ConfigError, loadConfig } from '../app/config.js';
import { runAdminCli } from '../ops/admin-cli.js';

try {
  const code = await runAdminCli(process.argv.slice(2), loadConfig(), { out: (l) => console.log(l), err: (l) => console.error(l) });
  process.exit(code);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(78);
  }
  throw err;
}
