/**
 * The S3 driver's socket GET against real local servers: a Node HTTP server that honours Range, and raw sockets
 * that answer with framing it must refuse (before the first byte: false, nothing written) or break off mid-body
 * (the output is destroyed: the client sees a short body, never a wrong one).
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { sendOverSocket, SOCKET_CHUNK } from '../../../../src/registry/storage/drivers/s3-socket-get.js';

const data = randomBytes(3 * SOCKET_CHUNK + 12345);
const servers: Server[] = [];

afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

async function listen(server: Server): Promise<URL> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/bucket/key?X-Amz-Signature=abc`);
}

/** A server that answers Range GETs of `data` (checking the request line), writing in small pieces. */
async function rangeServer(): Promise<URL> {
  return listen(
    createHttpServer((req, res) => {
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      if (req.url !== '/bucket/key?X-Amz-Signature=abc' || !m) return void res.writeHead(400).end();
      const [start, end] = [Number(m[1]), Number(m[2])];
      res.writeHead(206, { 'Content-Length': end - start + 1, 'Content-Range': `bytes ${start}-${end}/${data.length}` });
      res.end(data.subarray(start, end + 1));
    }),
  );
}

/** A raw server: `answer` gets each connection once its request head is in. */
async function rawServer(answer: (socket: Socket) => void): Promise<URL> {
  const server = createNetServer((socket) => {
    let head = '';
    socket.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) answer(socket);
    });
    socket.on('error', () => undefined);
  });
  return listen(server as unknown as Server);
}

/** An output that copies what it is given (the GET reuses its buffers), slowly when asked. */
function collector(delayMs = 0): { out: Writable; bytes: () => Buffer; ended: () => boolean } {
  const got: Buffer[] = [];
  let ended = false;
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      got.push(Buffer.from(chunk));
      setTimeout(done, delayMs);
    },
    final(done) {
      ended = true;
      done();
    },
  });
  return { out, bytes: () => Buffer.concat(got), ended: () => ended };
}

const opts = { timeoutMs: 5_000 };

test.each([
  { name: 'a whole object of several buffers', start: 0, end: data.length - 1 },
  { name: 'a range inside one buffer', start: 10, end: 20 },
  { name: 'a range across buffers', start: SOCKET_CHUNK - 5, end: 2 * SOCKET_CHUNK + 7 },
  { name: 'one byte', start: 7, end: 7 },
])('sends $name, exactly, and ends the output', async ({ start, end }) => {
  const url = await rangeServer();
  for (const delayMs of [0, 2]) {
    const c = collector(delayMs);
    await expect(sendOverSocket(url, { start, end }, c.out, opts)).resolves.toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(c.bytes().equals(data.subarray(start, end + 1))).toBe(true);
    expect(c.ended()).toBe(true);
  }
});

test('a head that comes a byte at a time', async () => {
  const body = Buffer.from('0123456789');
  const head = Buffer.from(`HTTP/1.1 206 Partial Content\r\nContent-Length: 4\r\nContent-Range: bytes 2-5/10\r\n\r\n`);
  const url = await rawServer(async (socket) => {
    for (const byte of head) {
      socket.write(Buffer.from([byte]));
      await new Promise((r) => setTimeout(r, 1));
    }
    socket.end(body.subarray(2, 6));
  });
  const c = collector();
  await expect(sendOverSocket(url, { start: 2, end: 5 }, c.out, opts)).resolves.toBe(true);
  expect(c.bytes().toString()).toBe('2345');
});

test.each([
  { name: 'chunked framing', head: 'HTTP/1.1 206 OK\r\nTransfer-Encoding: chunked\r\nContent-Range: bytes 0-3/4\r\n\r\n4\r\nabcd\r\n0\r\n\r\n' },
  { name: 'another range', head: 'HTTP/1.1 206 OK\r\nContent-Length: 4\r\nContent-Range: bytes 1-4/5\r\n\r\nbcde' },
  { name: 'an error', head: 'HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\nnope' },
  { name: 'no response at all', head: '' },
  { name: 'garbage', head: 'SSH-2.0-OpenSSH\r\n\r\n' },
])('refuses $name before writing a byte', async ({ head }) => {
  const url = await rawServer((socket) => socket.end(head));
  const c = collector();
  await expect(sendOverSocket(url, { start: 0, end: 3 }, c.out, opts)).resolves.toBe(false);
  expect(c.bytes().length).toBe(0);
  expect(c.out.destroyed).toBe(false);
});

test('a body cut short destroys the output after the bytes that came', async () => {
  const url = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234'));
  const c = collector();
  await expect(sendOverSocket(url, { start: 0, end: 9 }, c.out, opts)).rejects.toThrow(/closed the connection 5 bytes before/);
  expect(c.out.destroyed).toBe(true);
  expect(c.ended()).toBe(false);
  expect(c.bytes().toString()).toBe('01234');
});

test('a server that stalls mid-body times out', async () => {
  const url = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234'));
  const c = collector();
  await expect(sendOverSocket(url, { start: 0, end: 9 }, c.out, { timeoutMs: 200 })).rejects.toThrow(/no bytes from/);
  expect(c.out.destroyed).toBe(true);
});

test('a client that goes away ends the upstream connection', async () => {
  let upstreamClosed: Promise<void> = Promise.resolve();
  const url = await rawServer((socket) => {
    upstreamClosed = new Promise((r) => socket.once('close', () => r()));
    socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${data.length}\r\n\r\n`);
    socket.write(data.subarray(0, SOCKET_CHUNK));
  });
  const c = collector();
  const sending = sendOverSocket(url, { start: 0, end: data.length - 1 }, c.out, opts);
  while (c.bytes().length === 0) await new Promise((r) => setTimeout(r, 5));
  c.out.destroy();
  await expect(sending).rejects.toThrow('premature close');
  await upstreamClosed;
});

test('an https URL is left to the SDK', async () => {
  const c = collector();
  await expect(sendOverSocket(new URL('https://127.0.0.1:1/b/k'), { start: 0, end: 1 }, c.out, opts)).resolves.toBe(false);
});
