/**
 * `npm run bench`: the speed and size targets, measured with real parts on
 * loopback (relay + oidc-provider + SQLite, Chromium for the login). Prints a
 * table and exits 1 when a target is missed. Bounded loops, loopback only.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { login, startHarness } from '../tests/relay/helpers.ts';
import {
  clickButton,
  EXTENSION_DIR,
  fillSettingsForm,
  launchWithExtension,
  signInAtProvider,
  waitForStatus,
} from '../tests/support/browser.ts';

interface Row {
  name: string;
  value: number;
  unit: string;
  target: number;
}

const rows: Row[] = [];
const record = (name: string, value: number, unit: string, target: number) =>
  rows.push({ name, value, unit, target });

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function timeIt(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

function bundleSizes(): void {
  const assets = path.join(EXTENSION_DIR, 'assets');
  let total = 0;
  let totalGz = 0;
  for (const file of readdirSync(assets)) {
    if (!file.endsWith('.js')) continue;
    const bytes = readFileSync(path.join(assets, file));
    total += statSync(path.join(assets, file)).size;
    totalGz += gzipSync(bytes).length;
  }
  record('extension JavaScript, all chunks', total / 1024, 'KiB', 300);
  record('extension JavaScript, gzip', totalGz / 1024, 'KiB', 100);
}

async function relayFigures(): Promise<void> {
  const h = await startHarness();
  try {
    const health = await timeIt(200, () => h.client.get('/api/health'));
    record('relay GET /api/health p95', percentile(health, 95), 'ms', 20);
    const settings = await timeIt(50, () =>
      h.client.json('PUT', '/api/settings', {
        nickname: 'Bench',
        authority: h.provider.issuer,
        clientId: h.provider.clientId,
        clientSecret: h.provider.clientSecret,
        required: false,
      }),
    );
    record('relay PUT /api/settings (SQLite + AES-GCM) p95', percentile(settings, 95), 'ms', 50);
    // The whole code flow over HTTP: discovery, authorize, sign-in, callback, exchange, ID token check.
    const logins = await timeIt(5, () => login(h, { user: 'bench' }));
    record('code flow through the relay (no browser) median', percentile(logins, 50), 'ms', 1500);
  } finally {
    await h.close();
  }
}

async function browserLogin(): Promise<void> {
  const h = await startHarness();
  const ext = await launchWithExtension({ relayPort: h.relay.port });
  try {
    const page = await ext.openPopup();
    await fillSettingsForm(page, {
      nickname: 'Bench',
      authority: h.provider.issuer,
      clientId: h.provider.clientId,
      clientSecret: h.provider.clientSecret,
    });
    const t = performance.now();
    await clickButton(page, 'Login');
    await signInAtProvider(ext.browser, h.provider.issuer, 'bench');
    await waitForStatus(page, 'Authenticated');
    record(
      'login in Chromium, click to Authenticated (incl. typing at the provider)',
      performance.now() - t,
      'ms',
      5000,
    );
    const p = performance.now();
    const popup = await ext.openPopup();
    record('popup open to status shown', performance.now() - p, 'ms', 1000);
    await popup.close();
  } finally {
    await ext.close();
    await h.close();
  }
}

bundleSizes();
await relayFigures();
await browserLogin();

let failed = 0;
console.log(
  '\nbenchmark                                                         value      target',
);
for (const r of rows) {
  const ok = r.value <= r.target;
  if (!ok) failed += 1;
  console.log(
    `${r.name.padEnd(64)} ${r.value.toFixed(1).padStart(8)} ${r.unit.padEnd(4)} <= ${String(r.target).padStart(5)} ${ok ? 'ok' : 'MISSED'}`,
  );
}
console.log(`\n${rows.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
