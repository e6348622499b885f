'use strict';
// The credentials the servers know: long-term keys from the configuration
// and temporary credentials issued by the STS, IMDS and container servers.

const { nowMs, randomId, UPPER_DIGITS, B64 } = require('./util');

class Registry {
  constructor({ account = '123456789012' } = {}) {
    this.account = account;
    this.keys = new Map();
  }

  // entry: {accessKeyId, secretAccessKey, sessionToken?, expirationMs?, arn, userId, source}
  add(entry) {
    if (!entry.accessKeyId || !entry.secretAccessKey) throw new Error('access key id and secret are required');
    const e = {
      sessionToken: null,
      expirationMs: null,
      arn: `arn:aws:iam::${this.account}:user/${entry.accessKeyId}`,
      userId: entry.accessKeyId,
      source: 'static',
      ...entry,
    };
    this.keys.set(e.accessKeyId, e);
    this.prune();
    return e;
  }

  remove(accessKeyId) {
    return this.keys.delete(accessKeyId);
  }

  get(accessKeyId) {
    return this.keys.get(accessKeyId);
  }

  // Issues temporary credentials for an assumed role and registers them.
  issue({ roleArn, sessionName, ttlSeconds, source }) {
    const roleName = roleArn.split('/').slice(1).join('/') || 'role';
    const roleId = 'AROA' + randomId(UPPER_DIGITS, 17);
    const e = this.add({
      accessKeyId: 'ASIA' + randomId(UPPER_DIGITS, 16),
      secretAccessKey: randomId(B64, 40),
      // Real session tokens are long base64 strings with "+", "/" and "=";
      // they exercise header and query encoding in clients.
      sessionToken: 'IQoJb3JpZ2luX2Vj' + randomId(B64, 700) + '==',
      expirationMs: nowMs() + ttlSeconds * 1000,
      arn: `arn:aws:sts::${this.account}:assumed-role/${roleName}/${sessionName}`,
      userId: `${roleId}:${sessionName}`,
      roleArn,
      roleId,
      sessionName,
      source,
    });
    return e;
  }

  // Drops temporary credentials one hour after they expired, so memory stays
  // bounded while a recently expired key still answers "expired", not "unknown".
  prune() {
    const limit = nowMs() - 3600 * 1000;
    for (const [id, e] of this.keys) {
      if (e.expirationMs !== null && e.expirationMs < limit) this.keys.delete(id);
    }
  }

  list() {
    return [...this.keys.values()].map((e) => ({
      accessKeyId: e.accessKeyId,
      source: e.source,
      arn: e.arn,
      expiration: e.expirationMs === null ? null : new Date(e.expirationMs).toISOString(),
      temporary: e.sessionToken !== null,
    }));
  }
}

module.exports = { Registry };
