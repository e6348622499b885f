'use strict';
// Credential servers: STS (Query API), EC2 instance metadata (IMDSv2) and
// container credentials (ECS / EKS Pod Identity style). Credentials they
// issue go into the shared registry, so the proxy accepts them.

const fs = require('fs');
const crypto = require('crypto');
const sigv4 = require('./sigv4');
const errors = require('./errors');
const util = require('./util');
const { send, applyFault } = require('./respond');

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const IMDS_MAX_TTL_S = 21600;

function credentialsXml(e) {
  return (
    '    <Credentials>\n' +
    `      <AccessKeyId>${e.accessKeyId}</AccessKeyId>\n` +
    `      <SecretAccessKey>${util.xmlEscape(e.secretAccessKey)}</SecretAccessKey>\n` +
    `      <SessionToken>${util.xmlEscape(e.sessionToken)}</SessionToken>\n` +
    `      <Expiration>${util.isoSeconds(e.expirationMs)}</Expiration>\n` +
    '    </Credentials>\n'
  );
}

function assumedRoleXml(e) {
  return `    <AssumedRoleUser>\n      <AssumedRoleId>${util.xmlEscape(e.userId)}</AssumedRoleId>\n      <Arn>${util.xmlEscape(e.arn)}</Arn>\n    </AssumedRoleUser>\n`;
}

function stsOk(action, inner) {
  const xml =
    `<${action}Response xmlns="${STS_NS}">\n  <${action}Result>\n${inner}  </${action}Result>\n` +
    `  <ResponseMetadata>\n    <RequestId>${util.uuid()}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`;
  return { status: 200, headers: { 'content-type': 'text/xml' }, body: Buffer.from(xml) };
}

class CredentialServers {
  // state: {registry, faults, log, counters, region, config: {credentialTtlSeconds,
  //   roles: [...], webIdentityTokenFile, imdsRole, containerPath, containerToken}}
  constructor(state) {
    this.state = state;
    this.imdsTokens = new Map();
    this.current = new Map();
  }

  ttlSeconds(requested) {
    const c = this.state.config.credentialTtlSeconds;
    if (c !== null && c !== undefined) return Number(c);
    return requested || 3600;
  }

  // The instance/container credentials: kept until half their lifetime is
  // gone, then replaced (as IMDS rotates them); old ones stay valid until
  // they expire.
  rotating(kind, roleArn, sessionName) {
    const cur = this.current.get(kind);
    const now = util.nowMs();
    if (cur && this.state.registry.get(cur.accessKeyId) && cur.expirationMs - now > (cur.expirationMs - cur.issuedMs) / 2) return cur;
    const e = this.state.registry.issue({ roleArn, sessionName, ttlSeconds: this.ttlSeconds(), source: kind });
    e.issuedMs = now;
    this.current.set(kind, e);
    return e;
  }

  rotateNow() {
    this.current.clear();
  }

  handler(kind) {
    return (req, res, expectContinue) => {
      if (expectContinue) res.writeContinue();
      const fn = { sts: this.handleSts, imds: this.handleImds, container: this.handleContainer }[kind];
      fn.call(this, req, res).catch((e) => {
        process.stderr.write(`${kind}: ${e.stack || e}\n`);
        if (!res.headersSent) send(res, { status: 500, headers: { 'content-type': 'text/plain' }, body: `internal error: ${e.message}` }, { close: true });
        else res.destroy();
      });
    };
  }

  // ---- STS ---------------------------------------------------------------

  async handleSts(req, res) {
    const st = this.state;
    const entry = st.log.begin('sts', req);
    const body = await util.readBody(req, 1024 * 1024);
    entry.request_bytes = body.length;
    const { rawPath, rawQuery } = util.splitUrl(req.url);
    const params = new URLSearchParams(rawQuery.replace(/\+/g, '%2B'));
    if (body.length > 0) for (const [k, v] of new URLSearchParams(body.toString())) params.append(k, v);
    const action = params.get('Action') || '';
    entry.target = action;
    st.counters.bump('sts', action || '(none)');
    let result = null;
    if (action !== 'AssumeRoleWithWebIdentity') {
      result = await sigv4.verify({
        service: 'sts',
        method: req.method,
        url: req.url,
        rawHeaders: req.rawHeaders,
        bodySha256: util.sha256Hex(body),
        registry: st.registry,
        regions: [st.region, 'us-east-1'],
      });
      entry.verdict = result.verdict;
      entry.access_key_id = result.accessKeyId || null;
    }
    const fault = st.faults.take({ backend: 'sts', method: req.method, rawPath, rawQuery, target: action, headers: req.headers });
    if (await applyFault('sts', req, res, fault, entry, st.log)) return;
    let resp;
    if (result && !result.ok) resp = errors.verdictResponse('sts', result);
    else if (action === 'AssumeRole') resp = this.assumeRole(params, result.entry);
    else if (action === 'AssumeRoleWithWebIdentity') resp = this.assumeRoleWithWebIdentity(params);
    else if (action === 'GetCallerIdentity') resp = this.getCallerIdentity(result.entry);
    else resp = errors.stsError(400, 'InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
    if (resp.status !== 200) entry.error_code = /<Code>([^<]*)/.exec(resp.body.toString())[1];
    send(res, resp, { fault, entry, log: st.log, method: req.method });
  }

  // Validates RoleArn, RoleSessionName and DurationSeconds; returns an error
  // response or {ttl}.
  checkRoleParams(params) {
    for (const p of ['RoleArn', 'RoleSessionName']) {
      if (!params.get(p)) return { error: errors.stsError(400, 'ValidationError', `1 validation error detected: Value null at '${p[0].toLowerCase() + p.slice(1)}' failed to satisfy constraint: Member must not be null`) };
    }
    const name = params.get('RoleSessionName');
    if (!/^[\w+=,.@-]{2,64}$/.test(name)) {
      return { error: errors.stsError(400, 'ValidationError', `1 validation error detected: Value '${name}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`) };
    }
    const d = params.get('DurationSeconds');
    if (d !== null && (!/^\d+$/.test(d) || +d < 900 || +d > 43200)) {
      return { error: errors.stsError(400, 'ValidationError', `1 validation error detected: Value '${d}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`) };
    }
    return { ttl: this.ttlSeconds(d === null ? null : +d) };
  }

  roleKnown(arn) {
    return this.state.config.roles.includes(arn);
  }

  assumeRole(params, caller) {
    const chk = this.checkRoleParams(params);
    if (chk.error) return chk.error;
    const roleArn = params.get('RoleArn');
    if (!this.roleKnown(roleArn)) {
      return errors.stsError(403, 'AccessDenied', `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    }
    const e = this.state.registry.issue({ roleArn, sessionName: params.get('RoleSessionName'), ttlSeconds: chk.ttl, source: 'sts' });
    const extra = params.get('SourceIdentity') ? `    <SourceIdentity>${util.xmlEscape(params.get('SourceIdentity'))}</SourceIdentity>\n` : '';
    return stsOk('AssumeRole', extra + assumedRoleXml(e) + credentialsXml(e) + '    <PackedPolicySize>6</PackedPolicySize>\n');
  }

  assumeRoleWithWebIdentity(params) {
    const chk = this.checkRoleParams(params);
    if (chk.error) return chk.error;
    const token = params.get('WebIdentityToken');
    if (!token) return errors.stsError(400, 'ValidationError', "1 validation error detected: Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null");
    let expected = null;
    try {
      expected = fs.readFileSync(this.state.config.webIdentityTokenFile, 'utf8').trim();
    } catch (e) {
      expected = null;
    }
    if (!expected || token.trim() !== expected) {
      return errors.stsError(400, 'InvalidIdentityToken', 'The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.');
    }
    const roleArn = params.get('RoleArn');
    if (!this.roleKnown(roleArn)) {
      return errors.stsError(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
    }
    const e = this.state.registry.issue({ roleArn, sessionName: params.get('RoleSessionName'), ttlSeconds: chk.ttl, source: 'sts-web-identity' });
    const inner =
      '    <SubjectFromWebIdentityToken>system:serviceaccount:aftomato:aftomato-builder</SubjectFromWebIdentityToken>\n' +
      '    <Audience>sts.amazonaws.com</Audience>\n' +
      assumedRoleXml(e) +
      credentialsXml(e) +
      `    <Provider>arn:aws:iam::${this.state.registry.account}:oidc-provider/oidc.aftomato.test</Provider>\n`;
    return stsOk('AssumeRoleWithWebIdentity', inner);
  }

  getCallerIdentity(caller) {
    const inner =
      `    <Arn>${util.xmlEscape(caller.arn)}</Arn>\n    <UserId>${util.xmlEscape(caller.userId)}</UserId>\n` +
      `    <Account>${this.state.registry.account}</Account>\n`;
    return stsOk('GetCallerIdentity', inner);
  }

  // ---- IMDSv2 ------------------------------------------------------------

  imdsRoleArn() {
    return `arn:aws:iam::${this.state.registry.account}:role/${this.state.config.imdsRole}`;
  }

  imdsRoutes(p) {
    const st = this.state;
    const role = st.config.imdsRole;
    const text = (s) => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: s });
    const json = (o) => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: JSON.stringify(o, null, 2) });
    const prefix = '/latest/meta-data/iam/security-credentials';
    if (p === prefix || p === prefix + '/') {
      st.counters.bump('imds', 'role_list');
      return text(role);
    }
    if (p === `${prefix}/${role}`) {
      st.counters.bump('imds', 'credentials');
      const e = this.rotating('imds', this.imdsRoleArn(), 'i-0a1f7a0c0ffee0001');
      return json({
        Code: 'Success',
        LastUpdated: util.isoSeconds(e.issuedMs),
        Type: 'AWS-HMAC',
        AccessKeyId: e.accessKeyId,
        SecretAccessKey: e.secretAccessKey,
        Token: e.sessionToken,
        Expiration: util.isoSeconds(e.expirationMs),
      });
    }
    const az = st.region + 'a';
    const simple = {
      '/latest/meta-data/instance-id': 'i-0a1f7a0c0ffee0001',
      '/latest/meta-data/placement/region': st.region,
      '/latest/meta-data/placement/availability-zone': az,
    };
    if (simple[p]) return text(simple[p]);
    if (p === '/latest/meta-data/iam/info') {
      return json({ Code: 'Success', LastUpdated: util.isoSeconds(util.nowMs()), InstanceProfileArn: `arn:aws:iam::${st.registry.account}:instance-profile/${role}`, InstanceProfileId: 'AIPAAFTOMATOTEST0001' });
    }
    if (p === '/latest/dynamic/instance-identity/document') {
      return json({ accountId: st.registry.account, availabilityZone: az, region: st.region, instanceId: 'i-0a1f7a0c0ffee0001', instanceType: 't3.micro', architecture: 'x86_64' });
    }
    return { status: 404, headers: { 'content-type': 'text/html' }, body: '<?xml version="1.0" encoding="iso-8859-1"?>\n<html><head><title>404 - Not Found</title></head><body><h1>404 - Not Found</h1></body></html>\n' };
  }

  imdsToken(req) {
    if (req.headers['x-forwarded-for'] !== undefined) return { status: 403, headers: {}, body: '' };
    const ttl = req.headers['x-aws-ec2-metadata-token-ttl-seconds'];
    if (ttl === undefined || !/^\d+$/.test(ttl) || +ttl < 1 || +ttl > IMDS_MAX_TTL_S) return { status: 400, headers: {}, body: '' };
    this.state.counters.bump('imds', 'token');
    const token = crypto.randomBytes(42).toString('base64');
    this.imdsTokens.set(token, util.nowMs() + +ttl * 1000);
    for (const [t, exp] of this.imdsTokens) if (exp < util.nowMs()) this.imdsTokens.delete(t);
    return { status: 200, headers: { 'content-type': 'text/plain', 'x-aws-ec2-metadata-token-ttl-seconds': ttl }, body: token };
  }

  async handleImds(req, res) {
    const st = this.state;
    const entry = st.log.begin('imds', req);
    await util.readBody(req, 64 * 1024);
    const { rawPath, rawQuery } = util.splitUrl(req.url);
    const fault = st.faults.take({ backend: 'imds', method: req.method, rawPath, rawQuery, target: null, headers: req.headers });
    if (await applyFault('imds', req, res, fault, entry, st.log)) return;
    let resp;
    if (rawPath === '/latest/api/token') {
      resp = req.method === 'PUT' ? this.imdsToken(req) : { status: 405, headers: {}, body: '' };
    } else if (req.method !== 'GET' && req.method !== 'HEAD') {
      resp = { status: 405, headers: {}, body: '' };
    } else {
      const token = req.headers['x-aws-ec2-metadata-token'];
      const exp = token === undefined ? undefined : this.imdsTokens.get(token);
      if (exp === undefined || exp < util.nowMs()) {
        entry.verdict = token === undefined ? 'missing-auth' : 'bad-token';
        resp = { status: 401, headers: { 'content-type': 'text/html' }, body: '' };
      } else {
        entry.verdict = 'ok';
        resp = this.imdsRoutes(rawPath);
      }
    }
    send(res, resp, { fault, entry, log: st.log, method: req.method });
  }

  // ---- container credentials ---------------------------------------------

  async handleContainer(req, res) {
    const st = this.state;
    const cfg = st.config;
    const entry = st.log.begin('container', req);
    await util.readBody(req, 64 * 1024);
    const { rawPath, rawQuery } = util.splitUrl(req.url);
    const fault = st.faults.take({ backend: 'container', method: req.method, rawPath, rawQuery, target: null, headers: req.headers });
    if (await applyFault('container', req, res, fault, entry, st.log)) return;
    const jsonResp = (status, o) => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(o) });
    let resp;
    if (req.method !== 'GET' || rawPath !== cfg.containerPath) {
      resp = jsonResp(404, { code: 'NotFound', message: `no credentials at ${rawPath.slice(0, 200)}` });
    } else if (cfg.containerToken && req.headers.authorization !== cfg.containerToken) {
      entry.verdict = req.headers.authorization === undefined ? 'missing-auth' : 'bad-token';
      resp = jsonResp(401, { code: 'AccessDenied', message: 'Authorization token is missing or invalid' });
    } else {
      entry.verdict = 'ok';
      st.counters.bump('container', 'credentials');
      const roleArn = `arn:aws:iam::${st.registry.account}:role/${cfg.containerRole}`;
      const e = this.rotating('container', roleArn, 'aftomato-task');
      resp = jsonResp(200, {
        RoleArn: roleArn,
        AccessKeyId: e.accessKeyId,
        SecretAccessKey: e.secretAccessKey,
        Token: e.sessionToken,
        Expiration: util.isoSeconds(e.expirationMs),
      });
    }
    send(res, resp, { fault, entry, log: st.log, method: req.method });
  }
}

module.exports = { CredentialServers };
