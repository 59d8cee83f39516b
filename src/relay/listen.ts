/**
 * Binds the relay to loopback only, on 127.0.0.1 AND ::1 with the same port.
 * "localhost" resolves to either depending on the OS and browser; if we held
 * only one, another program could take the other and receive sign-in
 * responses meant for us. So either address being taken is fatal, except
 * when the machine has no IPv6 loopback at all.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { portInUseError } from './portInUse.ts';

export interface LoopbackListeners {
  port: number;
  /** e.g. ['127.0.0.1:5000', '[::1]:5000'] */
  addresses: string[];
  close(): Promise<void>;
}

function listenOn(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    // exclusive: no handle sharing with cluster workers; the port is ours alone.
    server.listen({ host, port, exclusive: true });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const NO_IPV6 = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT']);

export async function listenLoopback(
  createServer: () => Server,
  port: number,
  log: (line: string) => void,
  /** Called as soon as the port is known (before the second address is bound). */
  onBound: (port: number) => void = () => {},
): Promise<LoopbackListeners> {
  // With port 0 the kernel picks a port free on 127.0.0.1; it may be taken on ::1, so retry.
  const attempts = port === 0 ? 5 : 1;
  for (let attempt = 1; ; attempt++) {
    const v4 = createServer();
    try {
      await listenOn(v4, '127.0.0.1', port);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw await portInUseError('127.0.0.1', port, err);
      }
      throw err;
    }
    const actual = (v4.address() as AddressInfo).port;
    onBound(actual);
    const v6 = createServer();
    try {
      await listenOn(v6, '::1', actual);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (NO_IPV6.has(code)) {
        log(`IPv6 loopback (::1) is not available here (${code}); listening on 127.0.0.1 only.`);
        return {
          port: actual,
          addresses: [`127.0.0.1:${actual}`],
          close: () => closeServer(v4),
        };
      }
      await closeServer(v4);
      if (code === 'EADDRINUSE') {
        if (attempt < attempts) continue;
        throw await portInUseError('::1', actual, err);
      }
      throw err;
    }
    return {
      port: actual,
      addresses: [`127.0.0.1:${actual}`, `[::1]:${actual}`],
      close: async () => {
        await Promise.all([closeServer(v4), closeServer(v6)]);
      },
    };
  }
}
