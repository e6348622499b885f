'use strict';
// Authentication (static bearer tokens, client certificates signed by the
// test CA) and a deny-list RBAC switch driven by the admin endpoint.

const fs = require('fs');
const { errors } = require('./util');

// Parses a kube-apiserver static token file: token,user,uid,"group1,group2".
function parseTokenFile(text) {
  const out = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const m = /^([^,]+),([^,]+),([^,]*)(?:,"?([^"]*)"?)?$/.exec(t);
    if (!m) continue;
    out.push({ token: m[1], user: m[2], uid: m[3], groups: m[4] ? m[4].split(',') : [] });
  }
  return out;
}

class Auth {
  constructor(tokenFile) {
    this.tokens = new Map();
    this.rules = []; // forbidden {user, verb, resource, group, namespace, name}
    if (tokenFile && fs.existsSync(tokenFile)) {
      for (const t of parseTokenFile(fs.readFileSync(tokenFile, 'utf8'))) this.addToken(t);
    }
  }

  addToken(t) {
    this.tokens.set(t.token, {
      user: t.user,
      uid: t.uid || '',
      groups: (t.groups || []).concat(['system:authenticated']),
      expired: false,
    });
  }

  // Marks tokens expired: by token, by user, or all when neither is given.
  expire(sel) {
    let n = 0;
    for (const [tok, info] of this.tokens) {
      if ((sel.token && tok !== sel.token) || (sel.user && info.user !== sel.user)) continue;
      info.expired = true;
      n++;
    }
    return n;
  }

  // Returns {user, groups} or throws 401; null user means anonymous.
  authenticate(req) {
    const h = req.headers.authorization;
    if (h) {
      const m = /^Bearer\s+(.+)$/i.exec(h);
      if (!m) throw errors.unauthorized();
      const info = this.tokens.get(m[1].trim());
      if (!info || info.expired) throw errors.unauthorized();
      return { user: info.user, groups: info.groups, method: 'token' };
    }
    const sock = req.socket;
    if (sock && typeof sock.getPeerCertificate === 'function') {
      const cert = sock.getPeerCertificate();
      if (cert && cert.subject) {
        if (!sock.authorized) throw errors.unauthorized();
        const o = cert.subject.O;
        const groups = (Array.isArray(o) ? o : o ? [o] : []).concat(['system:authenticated']);
        return { user: cert.subject.CN, groups, method: 'x509' };
      }
    }
    return { user: 'system:anonymous', groups: ['system:unauthenticated'], method: 'anonymous' };
  }

  forbid(rule) {
    this.rules.push({
      user: rule.user || '*',
      verb: rule.verb || '*',
      resource: rule.resource || '*',
      namespace: rule.namespace || '*',
      name: rule.name || '*',
    });
  }

  allow(rule) {
    this.rules = this.rules.filter((r) => !(
      (rule.user || '*') === r.user && (rule.verb || '*') === r.verb &&
      (rule.resource || '*') === r.resource && (rule.namespace || '*') === r.namespace));
  }

  reset() {
    this.rules = [];
  }

  static ruleMatches(r, who, a) {
    const full = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    const resOk = r.resource === '*' || r.resource === full || r.resource === a.resource ||
      (a.group && (r.resource === `${a.resource}.${a.group}` || r.resource === `${full}.${a.group}`));
    return (r.user === '*' || r.user === who.user) && (r.verb === '*' || r.verb === a.verb) && resOk &&
      (r.namespace === '*' || r.namespace === (a.namespace || '')) && (r.name === '*' || r.name === a.name);
  }

  // attrs: {verb, group, resource, subresource, namespace, name} or
  // {verb, path} for non-resource URLs. Throws the real 403 shape.
  authorize(who, a) {
    if (a.path !== undefined) {
      const open = ['/version', '/healthz', '/livez', '/readyz'];
      if (who.method === 'anonymous' && !open.includes(a.path.replace(/\/$/, ''))) {
        throw errors.forbidden(`forbidden: User "${who.user}" cannot ${a.verb} path "${a.path}"`, {});
      }
      return;
    }
    const denied = who.method === 'anonymous' || this.rules.some((r) => Auth.ruleMatches(r, who, a));
    if (!denied) return;
    const gr = a.group ? `${a.resource}.${a.group}` : a.resource;
    const full = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    const subject = a.name ? `${gr} "${a.name}"` : gr;
    const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
    throw errors.forbidden(
      `${subject} is forbidden: User "${who.user}" cannot ${a.verb} resource "${full}" in API group "${a.group}" ${scope}`,
      { name: a.name || undefined, group: a.group || undefined, kind: a.resource },
    );
  }
}

module.exports = { Auth, parseTokenFile };
