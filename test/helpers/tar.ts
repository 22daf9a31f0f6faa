/**
 * A minimal POSIX ustar writer and reader, enough to build real image layers without any tool and to read
 * pulled layers back: regular files and directories, names up to 255 bytes (prefix + name).
 */

const BLOCK = 512;

/** One tar member: a directory when `content` is absent (its name ends with `/`), else a regular file. */
export interface TarEntry {
  name: string;
  content?: Buffer;
  /** Permission bits (default 0o644 for files, 0o755 for directories). */
  mode?: number;
  /** Modification time in seconds since the epoch (default 0, for reproducible layers). */
  mtime?: number;
}

function writeString(header: Buffer, value: string, offset: number, length: number): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new Error(`tar field too long: ${value}`);
  bytes.copy(header, offset);
}

function writeOctal(header: Buffer, value: number, offset: number, length: number): void {
  writeString(header, value.toString(8).padStart(length - 1, '0'), offset, length - 1);
}

/** Splits a long path into ustar prefix (≤155 bytes) and name (≤100 bytes). */
export function splitTarName(path: string): { prefix: string; name: string } {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path };
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  for (let cut = trimmed.lastIndexOf('/'); cut > 0; cut = trimmed.lastIndexOf('/', cut - 1)) {
    const prefix = trimmed.slice(0, cut);
    const name = path.slice(cut + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { prefix, name };
  }
  throw new Error(`path too long for ustar: ${path}`);
}

/** The 512-byte ustar header of one entry, checksum included. */
export function tarHeader(entry: TarEntry): Buffer {
  const isDir = entry.content === undefined;
  const header = Buffer.alloc(BLOCK);
  const { prefix, name } = splitTarName(isDir && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name);
  writeString(header, name, 0, 100);
  writeOctal(header, entry.mode ?? (isDir ? 0o755 : 0o644), 100, 8);
  writeOctal(header, 0, 108, 8); // uid
  writeOctal(header, 0, 116, 8); // gid
  writeOctal(header, isDir ? 0 : entry.content!.length, 124, 12);
  writeOctal(header, entry.mtime ?? 0, 136, 12);
  header.fill(0x20, 148, 156); // checksum counts as spaces while summing
  header[156] = (isDir ? '5' : '0').charCodeAt(0);
  writeString(header, 'ustar\0', 257, 6);
  writeString(header, '00', 263, 2);
  writeString(header, 'root', 265, 32);
  writeString(header, 'root', 297, 32);
  writeString(header, prefix, 345, 155);
  let sum = 0;
  for (const byte of header) sum += byte;
  writeString(header, `${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return header;
}

/** A complete tar archive (with the two zero blocks that end it) holding `entries` in order. */
export function createTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(tarHeader(entry));
    if (entry.content !== undefined && entry.content.length > 0) {
      parts.push(entry.content, Buffer.alloc((BLOCK - (entry.content.length % BLOCK)) % BLOCK));
    }
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
}

/** The regular files of a tar archive, by path (directories and other types are left out). */
export function readTarFiles(archive: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let offset = 0;
  while (offset + BLOCK <= archive.length) {
    const block = archive.subarray(offset, offset + BLOCK);
    if (block.every((b) => b === 0)) break;
    const name = readString(block, 0, 100);
    const prefix = readString(block, 345, 155);
    const size = parseInt(readString(block, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(block[156] ?? 0);
    const data = archive.subarray(offset + BLOCK, offset + BLOCK + size);
    if (type === '0' || type === '\0') files.set(prefix ? `${prefix}/${name}` : name, Buffer.from(data));
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}
