/**
 * `npm start`: runs the relay in the foreground.
 *   node --import tsx src/relay/cli.ts [--port N] [--data-dir DIR] [--reset-pairings]
 *                                      [--allow-origin ORIGIN]... [--build-if-missing] [--help]
 * Exit codes: 0 after Ctrl-C, 1 when the relay cannot start (busy port...), 2 for bad arguments.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CHROME_EXTENSION_ORIGIN, DEFAULT_RELAY_PORT, isValidPort } from '../shared/config.ts';
import { CompanionError } from '../shared/errors.ts';
import { auditEntry } from './audit.ts';
import { openRepository } from './repository/index.ts';
import { startRelay } from './server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXTENSION_DIR = join(ROOT, 'dist', 'chrome');

const USAGE = `Usage: npm start -- [options]

Runs the SQL Safe OIDC Companion relay on http://localhost:PORT (127.0.0.1 and ::1).

Options:
  --port N              Port to listen on (default ${DEFAULT_RELAY_PORT}). Register
                        http://localhost:N/callback/ at your provider and set the
                        same port in the extension.
  --data-dir DIR        Where the repository and its key live (default .data in the
                        current directory).
  --reset-pairings      Forget every paired browser, then serve. Browsers pair again
                        by themselves on their next request.
  --allow-origin ORIGIN Admit another extension origin (repeatable), e.g. a Firefox
                        moz-extension://<uuid>. Default: ${CHROME_EXTENSION_ORIGIN}
  --build-if-missing    Build the extension (npx vite build) if dist/chrome is missing.
  -h, --help            Show this help.
`;

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function parse() {
  try {
    return parseArgs({
      options: {
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        'reset-pairings': { type: 'boolean', default: false },
        'allow-origin': { type: 'string', multiple: true },
        'build-if-missing': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    fail(`${(err as Error).message}\n\n${USAGE}`, 2);
  }
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_RELAY_PORT;
  const port = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!isValidPort(port)) fail(`Invalid --port "${raw}": use a whole number from 1 to 65535.`, 2);
  return port;
}

function buildIfMissing(): void {
  if (existsSync(join(EXTENSION_DIR, 'manifest.json'))) return;
  console.log('dist/chrome is missing: building the extension (npx vite build)...');
  const result = spawnSync('npx', ['vite', 'build'], {
    cwd: ROOT,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (result.status !== 0) {
    fail('Building the extension failed (see above). The relay was not started.', 1);
  }
}

async function main(): Promise<void> {
  const args = parse();
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  const port = parsePort(args.port);
  const dataDir = resolve(args['data-dir'] ?? '.data');
  const allowedOrigins = [CHROME_EXTENSION_ORIGIN, ...(args['allow-origin'] ?? [])];
  for (const origin of allowedOrigins) {
    if (!/^[a-z][a-z0-9+.-]*:\/\/[^/\s]+$/i.test(origin)) {
      fail(
        `Invalid --allow-origin "${origin}": expected scheme://host, e.g. moz-extension://<uuid>.`,
        2,
      );
    }
  }

  if (args['build-if-missing']) buildIfMissing();

  if (args['reset-pairings']) {
    const store = openRepository(dataDir);
    try {
      const count = await store.deleteAllPairings(auditEntry('pairings_reset', {}, { by: 'cli' }));
      console.log(
        `Removed ${count} pairing${count === 1 ? '' : 's'}. Browsers pair again on their next request.`,
      );
    } finally {
      await store.close();
    }
  }

  let relay: Awaited<ReturnType<typeof startRelay>>;
  try {
    relay = await startRelay({ port, dataDir, allowedOrigins });
  } catch (err) {
    if (err instanceof CompanionError && err.code === 'port_in_use') fail(err.message, 1);
    fail(`The relay could not start: ${err instanceof Error ? err.message : String(err)}`, 1);
  }

  console.log(
    [
      `SQL Safe OIDC relay listening on ${relay.origin} (${relay.addresses.join(' and ')})`,
      `Repository: ${relay.repositoryPath}`,
      `Redirect URI to register at your provider: ${relay.redirectUri}`,
      `Unpacked extension: ${EXTENSION_DIR} (chrome://extensions > Developer mode > Load unpacked)`,
      ...(port === DEFAULT_RELAY_PORT
        ? []
        : [`In the popup, set Provider set-up → Relay port to ${port} as well.`]),
      'Press Ctrl-C to stop.',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(130); // a second Ctrl-C: do not wait
    stopping = true;
    console.log(`\n${signal}: stopping the relay...`);
    relay.close().then(
      () => process.exit(0),
      (err: unknown) => fail(`Error while stopping: ${String(err)}`, 1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

await main();
