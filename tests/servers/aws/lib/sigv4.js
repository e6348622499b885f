'use strict';
// Verifies AWS Signature Version 4 on requests exactly as they were received,
// recomputing the signature with AWS's own JavaScript signer
// (@smithy/signature-v4): its canonical-header, canonical-request,
// string-to-sign and signing-key stages are called on what came over the wire.
//
// The result is either {ok: true, ...} or {ok: false, verdict, message, ...}
// where verdict is one of: missing-auth, malformed, unsupported, wrong-region,
// wrong-service, date-mismatch, unknown-key, bad-token, expired-token,
// skewed, expired-url, not-yet-valid, unsigned-headers, missing-sha256,
// bad-sha256, streaming, mismatch. errors.js turns a verdict into the
// service's own error response.

const crypto = require('crypto');
const { SignatureV4, getCanonicalHeaders, ALGORITHM_IDENTIFIER } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');
const { escapeUri } = require('@smithy/core/protocols');
const util = require('./util');

const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGN_S = 7 * 24 * 3600;
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

// S3 signs the path as sent (encoded once, never normalised); every other
// service normalises the path and encodes it again.
const SERVICES = {
  s3: { signingName: 's3', uriEscapePath: false },
  dynamodb: { signingName: 'dynamodb', uriEscapePath: true },
  sts: { signingName: 'sts', uriEscapePath: true },
};

function fail(verdict, message, extra) {
  return { ok: false, verdict, message, ...extra };
}

// "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."
function parseAuthorizationHeader(value) {
  const m = /^(\S+)\s+(.*)$/s.exec(value.trim());
  if (!m) return { algorithm: value.trim(), fields: new Map() };
  const fields = new Map();
  for (const part of m[2].split(',')) {
    const p = part.trim();
    const eq = p.indexOf('=');
    if (eq <= 0) return { algorithm: m[1], fields: null, bad: p };
    fields.set(p.slice(0, eq), p.slice(eq + 1));
  }
  return { algorithm: m[1], fields };
}

// Collects Credential/SignedHeaders/Signature/date/token from the header or
// from the presigned query; returns {auth} or {failure}.
function collectAuth(hm, params) {
  const hasHeader = hm.has('authorization');
  const hasQuery = params.some((p) => p.name === 'X-Amz-Algorithm');
  const hasV2Query = params.some((p) => p.name === 'Signature' || p.name === 'AWSAccessKeyId');
  if ((hasHeader ? 1 : 0) + (hasQuery ? 1 : 0) + (hasV2Query ? 1 : 0) > 1) {
    return { failure: fail('malformed', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified') };
  }
  if (hasV2Query) return { failure: fail('unsupported', 'Signature Version 2 query authentication is not supported; use AWS4-HMAC-SHA256.') };
  if (!hasHeader && !hasQuery) return { failure: fail('missing-auth', 'Request is missing Authentication Token') };
  if (hasHeader) {
    const parsed = parseAuthorizationHeader(util.firstHeader(hm, 'authorization'));
    if (parsed.algorithm !== ALGORITHM_IDENTIFIER) {
      return { failure: fail('unsupported', `Unsupported authorization type '${parsed.algorithm.slice(0, 40)}'; use ${ALGORITHM_IDENTIFIER}.`) };
    }
    const f = parsed.fields;
    if (!f || !f.has('Credential') || !f.has('SignedHeaders') || !f.has('Signature') || f.size !== 3) {
      return { failure: fail('malformed', 'The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.') };
    }
    let date = util.firstHeader(hm, 'x-amz-date');
    if (date === undefined && hm.has('date')) {
      const ms = Date.parse(util.firstHeader(hm, 'date'));
      date = Number.isNaN(ms) ? 'invalid' : util.amzDate(ms);
    }
    return {
      auth: {
        presigned: false,
        credential: f.get('Credential'),
        signedHeaders: f.get('SignedHeaders'),
        signature: f.get('Signature'),
        date,
        token: util.firstHeader(hm, 'x-amz-security-token'),
      },
    };
  }
  const q = (n) => util.queryGet(params, n);
  const algorithm = q('X-Amz-Algorithm');
  if (algorithm !== ALGORITHM_IDENTIFIER) {
    return { failure: fail('unsupported', `X-Amz-Algorithm only supports "${ALGORITHM_IDENTIFIER}"`) };
  }
  const names = ['X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Expires'];
  if (names.some((n) => q(n) === undefined)) {
    return { failure: fail('malformed', 'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.') };
  }
  return {
    auth: {
      presigned: true,
      credential: q('X-Amz-Credential'),
      signedHeaders: q('X-Amz-SignedHeaders'),
      signature: q('X-Amz-Signature'),
      date: q('X-Amz-Date'),
      expires: q('X-Amz-Expires'),
      token: q('X-Amz-Security-Token'),
    },
  };
}

// S3's canonical URI: the path decoded and encoded again exactly once per
// segment (RFC 3986 unreserved characters kept, upper-case hex), never
// normalised. So "/test$file" sent raw is signed as "/test%24file" (AWS's own
// S3 example), and a client that signs a differently encoded path fails.
function canonicalS3Path(rawPath) {
  try {
    return rawPath
      .split('/')
      .map((seg) => escapeUri(decodeURIComponent(seg)))
      .join('/');
  } catch (e) {
    return null;
  }
}

// Runs the signer's stages over what was received.
async function computeSignature(o) {
  const signer = new SignatureV4({
    service: o.signingName,
    region: o.region,
    credentials: { accessKeyId: o.entry.accessKeyId, secretAccessKey: o.entry.secretAccessKey },
    sha256: Sha256,
    uriEscapePath: o.uriEscapePath,
    applyChecksum: false,
  });
  const headers = {};
  for (const name of o.signedNames) {
    if (o.hm.has(name)) headers[name] = o.hm.get(name).join(',');
  }
  const canonicalHeaders = getCanonicalHeaders({ headers }, undefined, new Set(o.signedNames));
  const request = { method: o.method, path: o.rawPath, query: util.queryObject(o.params), headers };
  const canonicalRequest = signer.createCanonicalRequest(request, canonicalHeaders, o.payloadHash);
  const scope = `${o.scopeDate}/${o.region}/${o.signingName}/aws4_request`;
  const stringToSign = await signer.createStringToSign(o.longDate, scope, canonicalRequest, ALGORITHM_IDENTIFIER);
  const key = signer.getSigningKey(o.entry, o.region, o.scopeDate, o.signingName);
  const signature = await signer.getSignature(o.longDate, scope, key, canonicalRequest);
  return { canonicalRequest, stringToSign, signature };
}

function checkTimes(auth, t, now) {
  if (!auth.presigned) {
    if (Math.abs(now - t) > MAX_SKEW_MS) {
      const later = t > now;
      const msg = later
        ? `Signature not yet current: ${auth.date} is still later than ${util.amzDate(now + MAX_SKEW_MS)} (${util.amzDate(now)} + 15 min.)`
        : `Signature expired: ${auth.date} is now earlier than ${util.amzDate(now - MAX_SKEW_MS)} (${util.amzDate(now)} - 15 min.)`;
      return fail('skewed', msg, { requestTime: auth.date, serverTime: util.amzDate(now), maxSkewMs: MAX_SKEW_MS });
    }
    return null;
  }
  const expires = Number(auth.expires);
  if (!/^\d+$/.test(auth.expires) || expires < 1 || expires > MAX_PRESIGN_S) {
    return fail('malformed', 'X-Amz-Expires must be less than a week (in seconds) that is 604800');
  }
  if (t - now > MAX_SKEW_MS) return fail('not-yet-valid', 'Request is not yet valid', { requestTime: auth.date });
  if (now > t + expires * 1000) {
    return fail('expired-url', 'Request has expired', {
      expiresSeconds: expires,
      expiresAt: util.isoSeconds(t + expires * 1000),
      serverTime: util.isoSeconds(now),
    });
  }
  return null;
}

// S3-only checks on x-amz-* headers and x-amz-content-sha256.
function s3PayloadHash(auth, hm, signedNames) {
  const unsigned = [...hm.keys()].filter((n) => n.startsWith('x-amz-') && !signedNames.includes(n));
  if (unsigned.length > 0) {
    return { failure: fail('unsigned-headers', 'There were headers present in the request which were not signed', { headersNotSigned: unsigned.join(', ') }) };
  }
  const sha = util.firstHeader(hm, 'x-amz-content-sha256');
  if (sha === undefined) {
    if (auth.presigned) return { payloadHash: UNSIGNED_PAYLOAD };
    return { failure: fail('missing-sha256', 'Missing required header for this request: x-amz-content-sha256') };
  }
  if (sha.startsWith('STREAMING-')) {
    return { failure: fail('streaming', `x-amz-content-sha256 '${sha.slice(0, 60)}' (aws-chunked upload) is not supported by the test servers: s3rver stores the chunk framing. Send the payload hash or UNSIGNED-PAYLOAD.`) };
  }
  if (sha !== UNSIGNED_PAYLOAD && !/^[0-9a-f]{64}$/.test(sha)) {
    return { failure: fail('bad-sha256', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.', { value: sha }) };
  }
  return { payloadHash: sha };
}

// Checks scope, key, token and clock; returns {failure} or {scope, entry, t}.
function checkCredential(auth, opts, now) {
  const parts = auth.credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') {
    return { failure: fail('malformed', `Credential should be of the form AccessKeyId/YYYYMMDD/region/service/aws4_request, got '${auth.credential.slice(0, 120)}'`) };
  }
  const [accessKeyId, scopeDate, region, service] = parts;
  const extra = { accessKeyId, region, expectedRegion: opts.regions[0] };
  if (service !== opts.signingName) {
    return { failure: fail('wrong-service', `Credential should be scoped to correct service: '${opts.signingName}'.`, extra) };
  }
  if (!opts.regions.includes(region)) {
    return { failure: fail('wrong-region', `Credential should be scoped to a valid region, not '${region}'.`, extra) };
  }
  const t = util.parseAmzDate(auth.date);
  if (Number.isNaN(t)) {
    return { failure: fail('malformed', 'AWS authentication requires a valid Date or x-amz-date header', extra) };
  }
  if (scopeDate !== auth.date.slice(0, 8)) {
    return {
      failure: fail('date-mismatch', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${auth.date.slice(0, 8)}', from '${auth.date}'.`, extra),
    };
  }
  const entry = opts.registry.get(accessKeyId);
  if (!entry) return { failure: fail('unknown-key', 'The AWS Access Key Id you provided does not exist in our records.', extra) };
  if ((entry.sessionToken || null) !== (auth.token || null)) {
    return { failure: fail('bad-token', 'The security token included in the request is invalid.', extra) };
  }
  if (entry.expirationMs !== null && now >= entry.expirationMs) {
    return { failure: fail('expired-token', 'The security token included in the request is expired', { ...extra, token: auth.token }) };
  }
  const timeFailure = checkTimes(auth, t, now);
  if (timeFailure) return { failure: Object.assign(timeFailure, extra) };
  return { entry, scopeDate, region, accessKeyId };
}

// opts: {service, method, url, rawHeaders, bodySha256 (non-S3), registry,
//        regions: [allowed...]}. service is s3, dynamodb, sts, or any other
// signing name (treated like a non-S3 service).
async function verify(opts) {
  const svc = SERVICES[opts.service] || { signingName: opts.service, uriEscapePath: true };
  const hm = util.headerMap(opts.rawHeaders);
  const { rawPath, rawQuery } = util.splitUrl(opts.url);
  let params;
  try {
    params = util.parseQuery(rawQuery);
  } catch (e) {
    return fail('malformed', 'The query string contains an invalid percent-encoding.');
  }
  const { auth, failure } = collectAuth(hm, params);
  if (failure) return failure;
  const now = util.nowMs();
  const cred = checkCredential(auth, { ...opts, signingName: svc.signingName }, now);
  if (cred.failure) return cred.failure;
  const base = { accessKeyId: cred.accessKeyId, region: cred.region, presigned: auth.presigned, entry: cred.entry };
  const signedNames = auth.signedHeaders.split(';');
  if (!signedNames.includes('host')) {
    return fail('malformed', "'Host' must be a 'SignedHeader' in the AWS Authorization.", base);
  }
  let payloadHash;
  if (opts.service === 's3') {
    const r = s3PayloadHash(auth, hm, signedNames);
    if (r.failure) return Object.assign(r.failure, base);
    payloadHash = r.payloadHash;
  } else {
    payloadHash = opts.bodySha256 || EMPTY_SHA256;
  }
  let signedPath = rawPath;
  if (opts.service === 's3') {
    signedPath = canonicalS3Path(rawPath);
    if (signedPath === null) return fail('malformed', 'The request path contains an invalid percent-encoding.', base);
  }
  const computed = await computeSignature({
    ...svc,
    region: cred.region,
    entry: cred.entry,
    scopeDate: cred.scopeDate,
    longDate: auth.date,
    method: opts.method,
    rawPath: signedPath,
    params,
    hm,
    signedNames,
    payloadHash,
  });
  const details = { ...base, ...computed, signatureProvided: auth.signature, payloadHash };
  const a = Buffer.from(computed.signature);
  const b = Buffer.from(String(auth.signature));
  if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) {
    let msg = 'The request signature we calculated does not match the signature you provided. Check your key and signing method.';
    if (signedPath !== rawPath) msg += ` (The path was sent as '${rawPath.slice(0, 200)}'; S3 signs it as '${signedPath.slice(0, 200)}'.)`;
    return fail('mismatch', msg, details);
  }
  return { ok: true, verdict: 'ok', ...details };
}

module.exports = { verify, computeSignature, canonicalS3Path, SERVICES, UNSIGNED_PAYLOAD, EMPTY_SHA256, MAX_SKEW_MS };
