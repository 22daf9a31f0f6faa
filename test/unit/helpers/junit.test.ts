/**
 * The conformance harness must notice failures in both suites' JUnit dialects, or a broken registry would pass.
 */
import { decodeXml, parseJunit, summarize } from '../../helpers/junit.js';

const GINKGO = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="3" failures="1">
  <testsuite name="conformance tests" tests="3" failures="1">
    <testcase name="[It] Pull blobs HEAD request to existing blob should yield 200" status="passed" time="0.01">
      <system-err>&gt; Enter [It]</system-err>
    </testcase>
    <testcase name="[It] Push Out-of-order blob upload should return 416" status="failed" time="0.01">
      <failure message="Expected&#xA;    &lt;int&gt;: 202&#xA;to equal&#xA;    &lt;int&gt;: 416" type="failed">[FAILED]</failure>
    </testcase>
    <testcase name="[It] Setup Get tag name from environment" status="skipped" time="0">
      <skipped message="skipped"></skipped>
    </testcase>
  </testsuite>
</testsuites>`;

const MAIN = `<testsuites tests="4" failures="1" skipped="1">
  <testsuite name="OCI Conformance Test" tests="4" failures="1">
    <testcase name="OCI Conformance Test/ping" classname="" time="0.002" status="passed"></testcase>
    <testcase name="OCI Conformance Test/empty/referrers" classname="" time="0.0003" status="failure">
      <system-out>unexpected status code, expected one of [200], received 404</system-out>
    </testcase>
    <testcase name="OCI Conformance Test/sha256 blobs/post cancel/blob-post-cancel" status="skipped"></testcase>
    <testcase name="OCI Conformance Test/engine" status="error"><system-out>connection refused</system-out></testcase>
  </testsuite>
</testsuites>`;

describe('parseJunit', () => {
  test.each([
    ['Ginkgo (released suite)', GINKGO, { passed: 1, failed: 1, skipped: 1 }],
    ['main-branch suite', MAIN, { passed: 1, failed: 2, skipped: 1 }],
  ])('counts the outcomes of the %s', (_name, xml, counts) => {
    expect(summarize(parseJunit(xml))).toMatchObject(counts);
  });

  test('keeps the failure message of a Ginkgo spec, decoded', () => {
    const [failure] = summarize(parseJunit(GINKGO)).failures;
    expect(failure).toEqual({
      name: '[It] Push Out-of-order blob upload should return 416',
      outcome: 'failed',
      message: 'Expected\n    <int>: 202\nto equal\n    <int>: 416',
    });
  });

  test('takes the captured output as the message where the main-branch suite writes no <failure>', () => {
    const messages = summarize(parseJunit(MAIN)).failures.map((f) => f.message);
    expect(messages).toEqual(['unexpected status code, expected one of [200], received 404', 'connection refused']);
  });

  test('an unknown status counts as a failure, and no testcase means nothing passed', () => {
    expect(summarize(parseJunit('<testcase name="x" status="timedout"></testcase>')).failed).toBe(1);
    expect(summarize(parseJunit('<testsuites></testsuites>'))).toMatchObject({ passed: 0, failed: 0 });
  });
});

describe('decodeXml', () => {
  test.each([
    ['&lt;int&gt; &amp; &quot;x&quot;', '<int> & "x"'],
    ['&#34;a&#34;&#xA;b', '"a"\nb'],
    ['&unknown;', '&unknown;'],
  ])('%s', (input, expected) => {
    expect(decodeXml(input)).toBe(expected);
  });
});
