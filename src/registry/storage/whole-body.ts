/**
 * A small upload sent whole in one request (a monolithic PUT, or POST with `?digest=`) can be read into one bounded
 * buffer, verified there and written to its blob path in one write, where the driver's writer offers that
 * (`Writer.commitBytes`: the S3 driver then makes one conditional PutObject instead of a tail object, a state
 * update, a read back and the put). Memory stays bounded: a body is taken whole only up to {@link WHOLE_BODY_MAX}
 * bytes, and only while every body held at once fits {@link WHOLE_BODY_BUDGET}; others stream as before.
 */
import { RegistryError } from '../errors.js';

/** The largest body read whole (bytes). */
export const WHOLE_BODY_MAX = 5 * 1024 * 1024;
/** Bytes of whole bodies held at once, across requests. */
export const WHOLE_BODY_BUDGET = 32 * 1024 * 1024;

/** What decides whether a commit's body is read whole: the session, and the body's declared placement and bounds. */
export interface WholeBodyCase {
  /** Bytes already in the session, whether its writer takes bytes whole (`commitBytes`), the digest's algorithm. */
  upload: { size: number; takesWhole: boolean; algorithm: string };
  /** The body's declared start and length, and the bounds it must fit (the streaming path refuses what crosses them). */
  range: { start?: number; length?: number; maxSize?: number; room?: { bytes: number } };
}

/**
 * Whether a commit's body may be read whole: an empty session whose writer takes bytes whole, a sha256 digest
 * (verified from the buffer), a declared length of 1 to {@link WHOLE_BODY_MAX} bytes from 0, within the session's
 * bounds (a body that crosses one streams, and is refused there as always).
 */
export function takesWholeBody(upload: WholeBodyCase['upload'], range: WholeBodyCase['range']): boolean {
  const { length } = range;
  if (!upload.takesWhole || upload.size !== 0 || upload.algorithm !== 'sha256' || (range.start ?? 0) !== 0) return false;
  if (length === undefined || length === 0 || length > WHOLE_BODY_MAX) return false;
  return (range.maxSize === undefined || length <= range.maxSize) && (range.room === undefined || length <= range.room.bytes);
}

/** A count of bytes taken out of a fixed budget; `take` refuses what would cross it. */
export class ByteBudget {
  #used = 0;

  constructor(readonly limit: number) {}

  get used(): number {
    return this.#used;
  }

  /** Takes `bytes` when they fit; the returned function gives them back (once). */
  take(bytes: number): (() => void) | undefined {
    if (bytes > this.limit - this.#used) return undefined;
    this.#used += bytes;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.#used -= bytes;
    };
  }
}

export const wholeBodyBudget = new ByteBudget(WHOLE_BODY_BUDGET);

/**
 * Reads a body of exactly `length` bytes into one buffer, passing each chunk to `onChunk` first (which may throw to
 * stop); SIZE_INVALID when the body is longer or shorter than `length`.
 */
export async function readExactly(body: AsyncIterable<Buffer>, length: number, onChunk: (chunk: Buffer) => void): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(length);
  let received = 0;
  for await (const chunk of body) {
    onChunk(chunk);
    if (received + chunk.length > length) throw new RegistryError('SIZE_INVALID', 'body longer than Content-Length');
    received += chunk.copy(bytes, received);
  }
  if (received !== length) throw new RegistryError('SIZE_INVALID', `received ${received} bytes, Content-Length said ${length}`);
  return bytes;
}
