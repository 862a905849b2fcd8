import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countsText, isCertificateFinding, parseTestsslJson, summarize } from '../../../soak/testssl-json.js';

// The shape testssl.sh 3.0.8 writes with --jsonfile --severity LOW, against the default configuration.
const FLAT = `[
         {
              "id"           : "cipherlist_AVERAGE",
              "ip"           : "127.0.0.1/127.0.0.1",
              "port"         : "19123",
              "severity"     : "LOW",
              "cwe"          : "CWE-310",
              "finding"      : "offered"
          }
,         {
              "id"           : "cert_chain_of_trust",
              "ip"           : "127.0.0.1/127.0.0.1",
              "port"         : "19123",
              "severity"     : "CRITICAL",
              "finding"      : "failed (self signed CA in chain)."
          }
,         {
              "id"           : "cert_validityPeriod",
              "ip"           : "127.0.0.1/127.0.0.1",
              "port"         : "19123",
              "severity"     : "MEDIUM",
              "finding"      : "826 > 825 days"
          }
,         {
              "id"           : "cert_revocation",
              "ip"           : "127.0.0.1/127.0.0.1",
              "port"         : "19123",
              "severity"     : "HIGH",
              "finding"      : "Neither CRL nor OCSP URI provided"
          }
,         {
              "id"           : "secure_client_renego",
              "ip"           : "127.0.0.1/127.0.0.1",
              "port"         : "19123",
              "severity"     : "WARN",
              "finding"      : "client x509-based authentication prevents this from being tested"
          }
,         {
              "id"           : "LUCKY13",
              "ip"           : "127.0.0.1/127.0.0.1",
              "port"         : "19123",
              "severity"     : "LOW",
              "cve"          : "CVE-2013-0169",
              "cwe"          : "CWE-310",
              "finding"      : "potentially vulnerable, uses TLS CBC ciphers"
          }
,         {
              "id"           : "BEAST",
              "ip"           : "127.0.0.1/127.0.0.1",
              "port"         : "19123",
              "severity"     : "HIGH",
              "cve"          : "CVE-2011-3389",
              "finding"      : "VULNERABLE"
          }
]`;

test('the flat JSON file parses into findings', () => {
  const findings = parseTestsslJson(FLAT);
  assert.equal(findings.length, 7);
  assert.deepEqual(findings[5], { id: 'LUCKY13', severity: 'LOW', finding: 'potentially vulnerable, uses TLS CBC ciphers', cve: 'CVE-2013-0169' });
});

test('files that are not testssl.sh findings are refused with the reason', () => {
  assert.throws(() => parseTestsslJson('{"scanResult": []}'), /not an array of findings/);
  assert.throws(() => parseTestsslJson('[{"finding": "x"}]'), /finding 0 has no id or severity/);
  assert.throws(() => parseTestsslJson('[{'), /does not parse/);
});

test('the summary counts severities, lists MEDIUM and above, and splits certificate findings from configuration ones', () => {
  const s = summarize(parseTestsslJson(FLAT));
  assert.deepEqual(s.counts, { LOW: 2, MEDIUM: 1, HIGH: 2, CRITICAL: 1, WARN: 1 });
  assert.deepEqual(
    s.atLeastMedium.map((f) => f.id),
    ['cert_chain_of_trust', 'cert_revocation', 'BEAST', 'cert_validityPeriod'],
  );
  assert.deepEqual(s.highOrCritical.configuration.map((f) => f.id), ['BEAST']);
  assert.deepEqual(s.highOrCritical.certificate.map((f) => f.id), ['cert_chain_of_trust', 'cert_revocation']);
  assert.deepEqual(s.notTested.map((f) => f.id), ['secure_client_renego']);
  assert.deepEqual(s.low.map((f) => f.id), ['cipherlist_AVERAGE', 'LUCKY13']);
  assert.deepEqual(s.scanProblems, []);
  assert.equal(countsText(s.counts), 'LOW 2, MEDIUM 1, HIGH 2, CRITICAL 1, WARN 1');
});

test('a clean scan has zero counts for every graded severity, and scan problems are found', () => {
  const s = summarize(parseTestsslJson('[{"id":"scanProblem","severity":"FATAL","finding":"No engine or GOST support"}]'));
  assert.equal(countsText(s.counts), 'LOW 0, MEDIUM 0, HIGH 0, CRITICAL 0, FATAL 1');
  assert.equal(s.scanProblems.length, 1);
});

test('certificate findings by id', () => {
  for (const id of ['cert_chain_of_trust', 'cert_revocation <cert#1>', 'OCSP_stapling', 'DNS_CAArecord', 'certificate_transparency', 'intermediate_cert_badOCSP']) {
    assert.equal(isCertificateFinding(id), true, id);
  }
  for (const id of ['BEAST', 'LUCKY13', 'cipherlist_AVERAGE', 'secure_client_renego', 'TLS1']) assert.equal(isCertificateFinding(id), false, id);
});
