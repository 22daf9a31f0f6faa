/** An S3 object's mtime: the time kept in its metadata across moves, else its Last-Modified. */
import type { HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { objectTime } from '../../../../src/registry/storage/drivers/s3-times.js';

const at = new Date('2026-12-01T10:00:00Z');

test.each<{ name: string; out: Pick<HeadObjectCommandOutput, 'LastModified' | 'Metadata'>; want: number }>([
  { name: 'no metadata: Last-Modified', out: { LastModified: at }, want: at.getTime() },
  { name: 'a kept time wins over the copy\'s Last-Modified', out: { LastModified: at, Metadata: { 'berth-mtime': '1700000000000' } }, want: 1700000000000 },
  { name: 'other metadata: Last-Modified', out: { LastModified: at, Metadata: { other: '5' } }, want: at.getTime() },
  { name: 'an unreadable kept time: Last-Modified', out: { LastModified: at, Metadata: { 'berth-mtime': 'soon' } }, want: at.getTime() },
  { name: 'nothing known: 0', out: {}, want: 0 },
])('$name', ({ out, want }) => {
  expect(objectTime(out)).toBe(want);
});
