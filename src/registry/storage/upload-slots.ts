/**
 * Bounds on upload sessions (issue 9, finding 5): how many may be open per repository and per principal, and how
 * many bytes one may hold.
 *
 * Sessions are counted in storage, not in memory, so a cap holds across every process sharing the store: a
 * session holds one empty marker file in each of two folders (below `uploads/_slots/`, see paths.ts), and a count
 * is one `list` of one folder (never a walk of every session). A claim writes its markers first, then counts; if
 * the count is over the cap it takes its markers back and is refused. Two racing claims can therefore both be
 * refused near the cap, but the cap is never exceeded. Committing, cancelling or purging a session frees its slots;
 * markers a crash left without their session are swept by the purge.
 */
import { createHash } from 'node:crypto';
import { BoundError } from '../errors.js';
import type { StorageDriver } from './driver.js';
import { slotPath, SLOT_KINDS, slotsDir, uploadInfoPath, type SlotKind } from './paths.js';

/** The `berth_http_limit_hits_total{limit}` labels of the upload bounds. */
export const UPLOAD_LIMITS = {
  sessionsPerRepository: 'upload_sessions_per_repository',
  sessionsPerPrincipal: 'upload_sessions_per_principal',
  maxBytes: 'upload_max_bytes',
} as const;

/** The caps a session is claimed under (from `limits` in the config). */
export interface SessionCaps {
  uploadSessionsPerRepository: number;
  uploadSessionsPerPrincipal: number;
}

/** Who owns a session: its repository and principal (the authenticated subject, else `address:<ip>`). */
export interface SessionOwner {
  repository: string;
  principal?: string;
}

/** A marker a crash left behind is swept once it is this old and its session is gone. */
export const ORPHAN_SLOT_GRACE_MS = 60_000;

/** A fixed-length, path-safe key for a repository name or principal (either may hold `/`, `:` or spaces). */
export function slotKey(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 40);
}

function slotsOf(owner: SessionOwner): Array<[SlotKind, string]> {
  const slots: Array<[SlotKind, string]> = [['repository', slotKey(owner.repository)]];
  if (owner.principal !== undefined) slots.push(['principal', slotKey(owner.principal)]);
  return slots;
}

export class UploadSlots {
  constructor(private readonly driver: StorageDriver) {}

  /** Takes a slot for session `id` in each of its owner's folders, or throws the bound that is full. */
  async claim(id: string, owner: SessionOwner, caps: SessionCaps): Promise<void> {
    const slots = slotsOf(owner);
    await Promise.all(slots.map(([kind, key]) => this.driver.put(slotPath(kind, key, id), '')));
    for (const [kind, key] of slots) {
      const open = (await this.driver.list(slotsDir(kind, key))).length;
      const max = kind === 'repository' ? caps.uploadSessionsPerRepository : caps.uploadSessionsPerPrincipal;
      if (open > max) {
        await this.release(id, owner);
        throw sessionsBound(kind, max);
      }
    }
  }

  /** Frees the slots of session `id`. */
  async release(id: string, owner: SessionOwner): Promise<void> {
    await Promise.all(slotsOf(owner).map(([kind, key]) => this.driver.delete(slotPath(kind, key, id))));
  }

  /** Deletes markers whose session is gone (a crash between claim and the session's info, or before release). */
  async sweep(now = Date.now()): Promise<number> {
    let swept = 0;
    for (const kind of SLOT_KINDS) {
      for (const key of await this.driver.list(slotsDir(kind))) {
        for (const marker of await this.driver.list(slotsDir(kind, key.name))) {
          const path = slotPath(kind, key.name, marker.name);
          const info = await this.driver.stat(path);
          if (!info || now - info.mtimeMs < ORPHAN_SLOT_GRACE_MS) continue;
          if (await this.driver.stat(uploadInfoPath(marker.name))) continue;
          if (await this.driver.delete(path)) swept++;
        }
      }
    }
    return swept;
  }
}

function sessionsBound(kind: SlotKind, max: number): BoundError {
  const field = kind === 'repository' ? 'limits.uploadSessionsPerRepository' : 'limits.uploadSessionsPerPrincipal';
  const metric = kind === 'repository' ? UPLOAD_LIMITS.sessionsPerRepository : UPLOAD_LIMITS.sessionsPerPrincipal;
  const whose = kind === 'repository' ? 'this repository' : 'this client';
  return new BoundError(
    'TOOMANYREQUESTS',
    field,
    metric,
    `too many open upload sessions for ${whose} (${field}: ${max}); finish or cancel one, or wait for abandoned ones to be purged`,
    429,
    { max },
  );
}
