/**
 * A clear message for a busy port, naming the likely owner. On macOS the
 * AirPlay Receiver listens on port 5000 (and 7000) on all interfaces
 * (https://developer.apple.com/forums/thread/682332); it answers HTTP with
 * `Server: AirTunes/...`. Another copy of this relay answers /api/health.
 */
import { request } from 'node:http';
import { CompanionError } from '../shared/errors.ts';

const AIRPLAY_HINT =
  'System Settings > General > AirDrop & Handoff > AirPlay Receiver (turn it off)';

/** Asks whoever holds the port who they are; resolves to a description or null. */
export function probePortOwner(
  host: string,
  port: number,
  timeoutMs = 1000,
): Promise<string | null> {
  return new Promise((resolve) => {
    const req = request(
      {
        host,
        port,
        path: '/api/health',
        method: 'GET',
        timeout: timeoutMs,
        headers: { Host: `localhost:${port}` },
      },
      (res) => {
        const server = String(res.headers.server ?? '');
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= 4096) chunks.push(chunk);
        });
        res.on('end', () => {
          if (/airtunes|airplay/i.test(server)) {
            resolve('the macOS AirPlay Receiver');
          } else if (Buffer.concat(chunks).toString('utf8').includes('"sqlsafe-oidc-relay"')) {
            resolve('another SQL Safe OIDC relay (is one already running?)');
          } else {
            resolve(server === '' ? null : `a program that calls itself "${server.slice(0, 80)}"`);
          }
        });
        res.on('error', () => resolve(null));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

export async function portInUseError(
  host: string,
  port: number,
  cause: unknown,
): Promise<CompanionError> {
  const owner = await probePortOwner(host, port);
  const likely =
    owner ??
    (process.platform === 'darwin' && (port === 5000 || port === 7000)
      ? 'probably the macOS AirPlay Receiver'
      : null);
  const hostLabel = host.includes(':') ? `[${host}]` : host;
  const lines = [
    `Port ${port} is already in use on ${hostLabel}${likely === null ? '' : ` by ${likely}`}.`,
    'The relay needs the port on both 127.0.0.1 and ::1 so that no other program receives sign-in responses.',
  ];
  if (likely?.includes('AirPlay') || (owner === null && port === 5000)) {
    lines.push(`On macOS, port 5000 is the AirPlay Receiver: ${AIRPLAY_HINT}.`);
  }
  const other = port === 5050 ? 5051 : 5050;
  lines.push(
    `Free the port, or start the relay on another one, e.g. --port ${other}, then set the same port ` +
      `in the extension and register http://localhost:${other}/callback/ at your provider.`,
  );
  return new CompanionError('port_in_use', lines.join('\n'), {
    cause,
    detail: `${hostLabel}:${port}`,
  });
}
