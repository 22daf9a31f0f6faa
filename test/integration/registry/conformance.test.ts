/**
 * The official OCI distribution-spec conformance suites against a real registry process (`berth serve` on the
 * storage driver BERTH_TEST_STORAGE names, or Distribution with BERTH_TEST_REGISTRY=distribution): the released Ginkgo suite with every workflow on and
 * automatic cross-mount off (a mount without `from` is a 202 upload), and the redesigned main-branch suite with its defaults. Any failed spec
 * fails the test with the list of failures; the counts are printed for the CI log.
 */
import {
  formatCounts,
  formatOutcome,
  runGinkgoConformance,
  runMainConformance,
  type ConformanceOutcome,
} from '../../helpers/conformance.js';
import { registryKindFromEnv, startRegistryUnderTest, type RegistryUnderTest } from '../../helpers/registry-under-test.js';
import { storageDriverFromEnv } from '../../helpers/storage-env.js';

const SUITE_TIMEOUT_MS = 15 * 60_000;

/** Prints the counts (and skipped specs) for the CI log; throws with every failed spec listed. */
function expectConformant(outcome: ConformanceOutcome): void {
  const skipped = outcome.skippedNames.length > 0 ? `\n  skipped: ${outcome.skippedNames.join('; ')}` : '';
  console.log(`${formatCounts(outcome)}${skipped}`);
  if (outcome.passed === 0) throw new Error(`${formatCounts(outcome)}: the suite ran no spec`);
  if (outcome.failed > 0 || outcome.exitCode !== 0) throw new Error(formatOutcome(outcome));
}

const kind = registryKindFromEnv();
/** What runs, as named in test titles and counts: `berth, filesystem storage`, or `distribution`. */
const label = kind === 'berth' ? `berth, ${storageDriverFromEnv()} storage` : kind;

describe(`OCI distribution-spec conformance: ${label}`, () => {
  let registry: RegistryUnderTest;

  beforeEach(async () => {
    registry = await startRegistryUnderTest();
  });

  afterEach(async () => {
    await registry?.stop();
  });

  test(
    'released Ginkgo suite: pull, push, content discovery and content management, no automatic cross-mount',
    async () => {
      expectConformant(await runGinkgoConformance({ url: registry.url, label }));
    },
    SUITE_TIMEOUT_MS,
  );

  test(
    'main-branch suite with its defaults',
    async () => {
      expectConformant(await runMainConformance({ url: registry.url, label }));
    },
    SUITE_TIMEOUT_MS,
  );
});
