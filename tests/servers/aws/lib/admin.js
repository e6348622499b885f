'use strict';
// Admin API (JSON over HTTP on its own loopback port): faults, request log,
// counters, credentials, clock offset and credential lifetime.

const util = require('./util');

function reply(res, status, obj) {
  const body = Buffer.from(JSON.stringify(obj, null, 1) + '\n');
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

async function jsonBody(req) {
  const b = await util.readBody(req, 4 * 1024 * 1024);
  if (b.length === 0) return {};
  return JSON.parse(b.toString());
}

function configView(st) {
  return {
    region: st.region,
    credential_ttl_seconds: st.config.credentialTtlSeconds,
    clock_offset_seconds: util.clock.offsetMs / 1000,
    roles: st.config.roles,
    imds_role: st.config.imdsRole,
    container_path: st.config.containerPath,
  };
}

function setConfig(st, body) {
  if ('credential_ttl_seconds' in body) {
    const v = body.credential_ttl_seconds;
    if (v !== null && !(Number.isInteger(v) && v > 0)) throw new Error('credential_ttl_seconds must be a positive integer or null');
    st.config.credentialTtlSeconds = v;
  }
  if ('clock_offset_seconds' in body) {
    const v = Number(body.clock_offset_seconds);
    if (!Number.isFinite(v)) throw new Error('clock_offset_seconds must be a number');
    util.clock.offsetMs = v * 1000;
  }
  if ('roles' in body) {
    if (!Array.isArray(body.roles)) throw new Error('roles must be a list of role ARNs');
    st.config.roles = body.roles.map(String);
  }
}

function addCredential(st, body) {
  const ttl = body.expires_in_seconds;
  return st.registry.add({
    accessKeyId: body.access_key_id,
    secretAccessKey: body.secret_access_key,
    sessionToken: body.session_token || null,
    expirationMs: ttl === undefined || ttl === null ? null : util.nowMs() + Number(ttl) * 1000,
    source: 'admin',
    ...(body.arn ? { arn: body.arn } : {}),
  });
}

// st: shared state; creds: CredentialServers; ports: {name: port}
function adminHandler(st, creds, ports) {
  return async (req, res) => {
    try {
      const u = new URL(req.url, 'http://admin');
      const p = u.pathname.replace(/\/+$/, '') || '/';
      const m = req.method;
      const idMatch = /^\/(faults|credentials)\/(.+)$/.exec(p);
      if (p === '/health' && m === 'GET') return reply(res, 200, { ok: true, pid: process.pid, ports });
      if (p === '/log' && m === 'GET') {
        return reply(res, 200, st.log.query({ backend: u.searchParams.get('backend'), since: Number(u.searchParams.get('since') || 0) }));
      }
      if (p === '/log' && m === 'DELETE') {
        st.log.clear();
        return reply(res, 200, { ok: true });
      }
      if (p === '/faults' && m === 'GET') return reply(res, 200, st.faults.list());
      if (p === '/faults' && m === 'POST') {
        const body = await jsonBody(req);
        const list = Array.isArray(body) ? body : [body];
        const ids = list.map((f) => st.faults.add(f).id);
        return reply(res, 200, { ids });
      }
      if (p === '/faults' && m === 'DELETE') {
        st.faults.clear();
        return reply(res, 200, { ok: true });
      }
      if (idMatch && idMatch[1] === 'faults' && m === 'DELETE') {
        return reply(res, st.faults.remove(Number(idMatch[2])) ? 200 : 404, { ok: true });
      }
      if (p === '/counters' && m === 'GET') return reply(res, 200, st.counters.get());
      if (p === '/counters' && m === 'DELETE') {
        st.counters.clear();
        return reply(res, 200, { ok: true });
      }
      if (p === '/config' && m === 'GET') return reply(res, 200, configView(st));
      if (p === '/config' && (m === 'POST' || m === 'PATCH')) {
        setConfig(st, await jsonBody(req));
        return reply(res, 200, configView(st));
      }
      if (p === '/credentials' && m === 'GET') return reply(res, 200, st.registry.list());
      if (p === '/credentials' && m === 'POST') {
        const e = addCredential(st, await jsonBody(req));
        return reply(res, 200, { access_key_id: e.accessKeyId });
      }
      if (idMatch && idMatch[1] === 'credentials' && m === 'DELETE') {
        return reply(res, st.registry.remove(decodeURIComponent(idMatch[2])) ? 200 : 404, { ok: true });
      }
      if (p === '/rotate' && m === 'POST') {
        creds.rotateNow();
        return reply(res, 200, { ok: true });
      }
      if (p === '/reset' && m === 'POST') {
        st.faults.clear();
        st.log.clear();
        st.counters.clear();
        util.clock.offsetMs = 0;
        st.config.credentialTtlSeconds = st.initialTtl;
        creds.rotateNow();
        return reply(res, 200, { ok: true });
      }
      return reply(res, 404, { error: `no admin endpoint ${m} ${p}` });
    } catch (e) {
      return reply(res, 400, { error: e.message });
    }
  };
}

module.exports = { adminHandler };
