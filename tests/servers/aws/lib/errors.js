'use strict';
// Error responses in each service's own format: S3 (XML <Error>), DynamoDB
// (JSON with __type), STS (XML <ErrorResponse>). Used for signature verdicts
// and for injected faults.

const crc32 = require('buffer-crc32');
const util = require('./util');

// {status, headers, body} for an S3 error; fields are extra child elements.
function s3Error(status, code, message, fields = {}, extraHeaders = {}) {
  const rid = util.requestId();
  let xml = '<?xml version="1.0" encoding="UTF-8"?>\n<Error>';
  xml += `<Code>${util.xmlEscape(code)}</Code><Message>${util.xmlEscape(message)}</Message>`;
  for (const [k, v] of Object.entries(fields)) {
    if (v !== undefined && v !== null) xml += `<${k}>${util.xmlEscape(v)}</${k}>`;
  }
  xml += `<RequestId>${rid}</RequestId><HostId>${Buffer.from(rid).toString('base64')}</HostId></Error>`;
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': rid, 'x-amz-id-2': Buffer.from(rid).toString('base64'), ...extraHeaders },
    body: Buffer.from(xml),
  };
}

const DDB_NS = {
  coral: 'com.amazon.coral.service#',
  availability: 'com.amazon.coral.availability#',
  dynamodb: 'com.amazonaws.dynamodb.v20120810#',
};

function dynamodbError(status, type, message, extraHeaders = {}) {
  const body = Buffer.from(JSON.stringify({ __type: type, message }));
  return {
    status,
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': util.randomId('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 52),
      'x-amz-crc32': String(crc32.unsigned(body)),
      ...extraHeaders,
    },
    body,
  };
}

function stsError(status, code, message, type = 'Sender') {
  const rid = util.uuid();
  const xml =
    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n' +
    `  <Error>\n    <Type>${type}</Type>\n    <Code>${util.xmlEscape(code)}</Code>\n` +
    `    <Message>${util.xmlEscape(message)}</Message>\n  </Error>\n` +
    `  <RequestId>${rid}</RequestId>\n</ErrorResponse>\n`;
  return { status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': rid }, body: Buffer.from(xml) };
}

function spaced(s) {
  return Buffer.from(s).toString('hex').match(/../g).join(' ');
}

function s3Verdict(f) {
  switch (f.verdict) {
    case 'missing-auth':
      return s3Error(403, 'AccessDenied', 'Access Denied');
    case 'unsupported':
      return s3Error(400, 'InvalidRequest', `The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256. (${f.message})`);
    case 'malformed':
    case 'date-mismatch':
    case 'wrong-service':
      return s3Error(400, f.presigned ? 'AuthorizationQueryParametersError' : 'AuthorizationHeaderMalformed', f.message);
    case 'wrong-region':
      return s3Error(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; the region '${f.region}' is wrong; expecting '${f.expectedRegion}'`, { Region: f.expectedRegion }, { 'x-amz-bucket-region': f.expectedRegion });
    case 'unknown-key':
      return s3Error(403, 'InvalidAccessKeyId', f.message, { AWSAccessKeyId: f.accessKeyId });
    case 'bad-token':
      return s3Error(400, 'InvalidToken', 'The provided token is malformed or otherwise invalid.');
    case 'expired-token':
      return s3Error(400, 'ExpiredToken', 'The provided token has expired.', { 'Token-0': f.token });
    case 'skewed':
      return s3Error(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
        RequestTime: f.requestTime,
        ServerTime: f.serverTime,
        MaxAllowedSkewMilliseconds: f.maxSkewMs,
      });
    case 'expired-url':
      return s3Error(403, 'AccessDenied', 'Request has expired', { 'X-Amz-Expires': f.expiresSeconds, Expires: f.expiresAt, ServerTime: f.serverTime });
    case 'not-yet-valid':
      return s3Error(403, 'AccessDenied', 'Request is not valid yet');
    case 'unsigned-headers':
      return s3Error(403, 'AccessDenied', f.message, { HeadersNotSigned: f.headersNotSigned });
    case 'missing-sha256':
      return s3Error(400, 'InvalidRequest', f.message);
    case 'bad-sha256':
      return s3Error(400, 'InvalidArgument', f.message, { ArgumentName: 'x-amz-content-sha256', ArgumentValue: f.value });
    case 'streaming':
      return s3Error(501, 'NotImplemented', f.message);
    case 'payload-mismatch':
      return s3Error(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", {
        ClientComputedContentSHA256: f.claimed,
        S3ComputedContentSHA256: f.computed,
      });
    case 'mismatch':
    default:
      return s3Error(403, 'SignatureDoesNotMatch', f.message, {
        AWSAccessKeyId: f.accessKeyId,
        StringToSign: f.stringToSign,
        SignatureProvided: f.signatureProvided,
        StringToSignBytes: f.stringToSign && spaced(f.stringToSign),
        CanonicalRequest: f.canonicalRequest,
        CanonicalRequestBytes: f.canonicalRequest && spaced(f.canonicalRequest),
      });
  }
}

function ddbVerdict(f) {
  const c = DDB_NS.coral;
  switch (f.verdict) {
    case 'missing-auth':
      return dynamodbError(400, c + 'MissingAuthenticationTokenException', 'Request is missing Authentication Token');
    case 'malformed':
    case 'unsupported':
      return dynamodbError(400, c + 'IncompleteSignatureException', f.message);
    case 'unknown-key':
    case 'bad-token':
      return dynamodbError(400, c + 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    case 'expired-token':
      return dynamodbError(400, c + 'ExpiredTokenException', 'The security token included in the request is expired');
    case 'mismatch':
      return dynamodbError(
        400,
        c + 'InvalidSignatureException',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.' +
          (f.canonicalRequest ? `\n\nThe Canonical String for this request should have been\n'${f.canonicalRequest}'\n\nThe String-to-Sign should have been\n'${f.stringToSign}'\n` : ''),
      );
    default:
      return dynamodbError(400, c + 'InvalidSignatureException', f.message);
  }
}

function stsVerdict(f) {
  switch (f.verdict) {
    case 'missing-auth':
      return stsError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    case 'malformed':
    case 'unsupported':
      return stsError(400, 'IncompleteSignature', f.message);
    case 'unknown-key':
    case 'bad-token':
      return stsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    case 'expired-token':
      return stsError(400, 'ExpiredToken', 'The security token included in the request is expired');
    case 'mismatch':
      return stsError(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      );
    default:
      return stsError(403, 'SignatureDoesNotMatch', f.message);
  }
}

function verdictResponse(service, f) {
  if (service === 's3') return s3Verdict(f);
  if (service === 'dynamodb') return ddbVerdict(f);
  return stsVerdict(f);
}

// Canned errors for fault injection: {code} -> status and message.
const S3_CANNED = {
  NoSuchBucket: [404, 'The specified bucket does not exist'],
  NoSuchKey: [404, 'The specified key does not exist.'],
  AccessDenied: [403, 'Access Denied'],
  SlowDown: [503, 'Please reduce your request rate.'],
  ServiceUnavailable: [503, 'Service is unable to handle request.'],
  InternalError: [500, 'We encountered an internal error. Please try again.'],
  PermanentRedirect: [301, 'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.'],
  TemporaryRedirect: [307, 'Please re-send this request to the specified temporary endpoint. Continue to use the original request endpoint for future requests.'],
  AuthorizationHeaderMalformed: [400, "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'us-west-1'"],
  RequestTimeout: [400, 'Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.'],
  EntityTooLarge: [400, 'Your proposed upload exceeds the maximum allowed size'],
  InvalidAccessKeyId: [403, 'The AWS Access Key Id you provided does not exist in our records.'],
  ExpiredToken: [400, 'The provided token has expired.'],
};

const DDB_CANNED = {
  ProvisionedThroughputExceededException: [400, DDB_NS.dynamodb, 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.'],
  ThrottlingException: [400, DDB_NS.availability, 'Rate of requests exceeds the allowed throughput.'],
  RequestLimitExceeded: [400, DDB_NS.dynamodb, 'Throughput exceeds the current throughput limit for your account. Please contact AWS Support at https://aws.amazon.com/support request a limit increase'],
  ResourceNotFoundException: [400, DDB_NS.dynamodb, 'Requested resource not found'],
  ConditionalCheckFailedException: [400, DDB_NS.dynamodb, 'The conditional request failed'],
  ValidationException: [400, DDB_NS.coral, 'One or more parameter values were invalid'],
  InternalServerError: [500, DDB_NS.dynamodb, 'Internal server error'],
  ServiceUnavailable: [503, DDB_NS.coral, 'Service Unavailable'],
  ExpiredTokenException: [400, DDB_NS.coral, 'The security token included in the request is expired'],
  UnrecognizedClientException: [400, DDB_NS.coral, 'The security token included in the request is invalid.'],
};

// fault.error = {code, message?, status?, region?, bucket?, endpoint?}
function cannedError(service, spec) {
  if (service === 's3') {
    const [status, message] = S3_CANNED[spec.code] || [spec.status || 400, spec.code];
    const fields = {};
    const headers = {};
    if (spec.bucket) fields.BucketName = spec.bucket;
    if (spec.endpoint) fields.Endpoint = spec.endpoint;
    if (spec.region) {
      headers['x-amz-bucket-region'] = spec.region;
      if (spec.code === 'AuthorizationHeaderMalformed') fields.Region = spec.region;
    }
    if (spec.location) headers.location = spec.location;
    return s3Error(spec.status || status, spec.code, spec.message || message, fields, headers);
  }
  if (service === 'dynamodb') {
    const [status, ns, message] = DDB_CANNED[spec.code] || [spec.status || 400, DDB_NS.dynamodb, spec.code];
    return dynamodbError(spec.status || status, (spec.namespace || ns) + spec.code, spec.message || message);
  }
  if (service === 'sts') return stsError(spec.status || 400, spec.code, spec.message || spec.code);
  return { status: spec.status || 500, headers: { 'content-type': 'text/plain' }, body: Buffer.from(spec.message || spec.code) };
}

module.exports = { s3Error, dynamodbError, stsError, verdictResponse, cannedError, S3_CANNED, DDB_CANNED };
