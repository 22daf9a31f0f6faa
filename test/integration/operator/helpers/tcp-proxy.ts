/**
 * A loopback TCP proxy that can freeze its open connections: bytes stop flowing both ways but the sockets stay
 * open, as when a NAT or load balancer silently forgets a connection. New connections keep working.
 */
import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** Connections currently open. */
  readonly open: number;
  /** Stops forwarding on every connection open now (they stay open, silent). */
  freezeExisting(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket; frozen: boolean }>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair = { client, upstream, frozen: false };
    pairs.add(pair);
    const forward = (from: net.Socket, to: net.Socket) =>
      from.on('data', (chunk: Buffer) => {
        if (!pair.frozen) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const end = (): void => {
      if (pair.frozen) return;
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get open() {
      return pairs.size;
    },
    freezeExisting() {
      for (const pair of pairs) pair.frozen = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const { client, upstream } of pairs) {
          client.destroy();
          upstream.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
