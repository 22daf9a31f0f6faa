/** Small filesystem helpers of the filesystem driver (not part of the driver contract; nothing else imports them). */
import { open, type FileHandle } from 'node:fs/promises';

/** Whether an error means "not there" (including a file where a folder was expected). */
export function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Fsyncs a folder, so that entries created, renamed or removed in it survive a crash. */
export async function syncDir(absDir: string): Promise<void> {
  const fh = await open(absDir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes every byte of `buffers` (at the end: the file is open for appending), however the OS splits it. */
export async function writeAll(fh: FileHandle, buffers: Buffer[]): Promise<void> {
  let rest = buffers;
  while (rest.length > 0) {
    let { bytesWritten } = await fh.writev(rest);
    while (rest.length > 0 && bytesWritten >= rest[0]!.length) {
      bytesWritten -= rest[0]!.length;
      rest = rest.slice(1);
    }
    if (rest.length > 0 && bytesWritten > 0) rest = [rest[0]!.subarray(bytesWritten), ...rest.slice(1)];
  }
}
