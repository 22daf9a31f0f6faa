/** `storage.scrub`: re-reading every blob to check its digest, every `interval`, by `berth serve` (absent: only `berth scrub`). */
import { Type } from '@sinclair/typebox';
import { Duration } from './config-durations.js';
import { Default } from './kit.js';

export const ScrubSchema = Type.Object(
  {
    interval: Default(Duration('How often `berth serve` re-reads every blob and checks its digest.'), '7d'),
    concurrency: Default(
      Type.Integer({ minimum: 1, maximum: 64, errorMessage: 'must be a whole number from 1 to 64', description: 'Blobs read at once.' }),
      2,
    ),
  },
  { additionalProperties: false, description: 'Scrub: corrupt blobs are reported and quarantined (see the README, Storage lifecycle).' },
);
