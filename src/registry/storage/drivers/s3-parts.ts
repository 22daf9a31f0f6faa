/**
 * The parts of one S3 append. Chunks are held as they come until they make a first part; from then on they are
 * copied straight into one of two part buffers, one filling while the other uploads (so the socket keeps being
 * read while a part goes up). The buffers are allocated once per append, only when a part fills, and reused:
 * memory per append is at most two parts whatever the chunk sizes, and nothing is allocated per part (a
 * `Buffer.concat` per part left the garbage collector behind on a 1 GiB push).
 */
export class PartGatherer {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  readonly #buffers: Buffer[] = [];
  #next = 0;
  #current: Buffer | undefined;
  #fill = 0;
  #inflight: Promise<void> | undefined;

  constructor(
    private readonly partSize: number,
    /** Uploads one full part; its buffer is reused once the promise settles. */
    private readonly upload: (part: Buffer) => Promise<void>,
    first?: Buffer,
  ) {
    if (first && first.length > 0) this.#hold(first);
  }

  /** Takes a chunk; resolves once it is held (waiting, at a part boundary, for the part before to finish uploading). */
  async write(chunk: Buffer): Promise<void> {
    let rest = chunk;
    while (rest.length > 0) {
      if (!this.#current) {
        if (this.#pendingBytes + rest.length < this.partSize) return this.#hold(rest);
        this.#current = this.#buffer();
        for (const b of this.#pending) this.#fill += b.copy(this.#current, this.#fill);
        this.#pending = [];
        this.#pendingBytes = 0;
      }
      const n = rest.copy(this.#current, this.#fill);
      this.#fill += n;
      rest = rest.subarray(n);
      if (this.#fill === this.partSize) await this.#send();
    }
  }

  /** Waits for the part in flight (throwing its error) and returns the bytes below a part: the append's tail. */
  async finish(): Promise<Buffer> {
    await this.#inflight;
    return this.#current ? this.#current.subarray(0, this.#fill) : Buffer.concat(this.#pending, this.#pendingBytes);
  }

  /** After a failure: lets the part in flight settle, ignoring its outcome. */
  async abandon(): Promise<void> {
    await this.#inflight?.catch(() => undefined);
  }

  #hold(b: Buffer): void {
    this.#pending.push(b);
    this.#pendingBytes += b.length;
  }

  #buffer(): Buffer {
    return (this.#buffers[this.#next] ??= Buffer.allocUnsafeSlow(this.partSize));
  }

  /** Uploads the full buffer once the part before it is up (parts go up in order), and fills the other one. */
  async #send(): Promise<void> {
    const full = this.#current!;
    await this.#inflight;
    const sending = this.upload(full);
    sending.catch(() => undefined); // surfaced by the next #send or by finish
    this.#inflight = sending;
    this.#next = 1 - this.#next;
    this.#current = this.#buffer();
    this.#fill = 0;
  }
}
