/**
 * `npm run demo`: a complete local setup without an Okta or Entra tenant.
 * Starts the demo OpenID Provider (oidc-provider) on 127.0.0.1:4000 and the
 * relay on localhost:5000, then prints what to type into the popup.
 *   npm run demo -- [--provider-port N] [--port N] [--data-dir DIR]
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startRelay } from '../src/relay/server.ts';
import { DEFAULT_RELAY_PORT, isValidPort } from '../src/shared/config.ts';
import { CompanionError } from '../src/shared/errors.ts';
import { startDemoProvider } from './demo-provider.ts';

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function port(raw: string | undefined, fallback: number, flag: string): number {
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!isValidPort(value)) fail(`Invalid ${flag} "${raw}": use a whole number from 1 to 65535.`, 2);
  return value;
}

let args: { 'provider-port'?: string; port?: string; 'data-dir'?: string };
try {
  args = parseArgs({
    options: {
      'provider-port': { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
    },
    strict: true,
  }).values;
} catch (err) {
  fail(
    `${(err as Error).message}\nUsage: npm run demo -- [--provider-port N] [--port N] [--data-dir DIR]`,
    2,
  );
}

const relayPort = port(args.port, DEFAULT_RELAY_PORT, '--port');
const providerPort = port(args['provider-port'], 4000, '--provider-port');

let provider: Awaited<ReturnType<typeof startDemoProvider>>;
try {
  provider = await startDemoProvider({
    port: providerPort,
    redirectUris: [
      `http://localhost:${relayPort}/callback/`,
      `http://127.0.0.1:${relayPort}/callback/`,
    ],
  });
} catch (err) {
  const busy = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
  fail(
    busy
      ? `Port ${providerPort} is in use; start the demo provider elsewhere with --provider-port N.`
      : `The demo provider could not start: ${String(err)}`,
    1,
  );
}

let relay: Awaited<ReturnType<typeof startRelay>>;
try {
  relay = await startRelay({
    port: relayPort,
    dataDir: resolve(args['data-dir'] ?? '.data/demo'),
  });
} catch (err) {
  await provider.close();
  fail(
    err instanceof CompanionError ? err.message : `The relay could not start: ${String(err)}`,
    1,
  );
}

console.log(`
Demo OpenID Provider: ${provider.issuer}
Relay:                ${relay.origin}  (repository ${relay.repositoryPath})

Enter these values in the SQL Safe OIDC Companion popup:
  Provider nickname: Demo
  Authority URL:     ${provider.issuer}
  Client ID:         ${provider.clientId}
  Client Secret:     ${provider.clientSecret}
${relayPort === DEFAULT_RELAY_PORT ? '' : `  (and in the popup, Provider set-up → Relay port: ${relayPort})\n`}
At the provider's sign-in page, any user name and any password will do.
Press Ctrl-C to stop.`);

let stopping = false;
const stop = () => {
  if (stopping) process.exit(130);
  stopping = true;
  Promise.all([relay.close(), provider.close()]).then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
