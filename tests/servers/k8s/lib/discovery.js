'use strict';
// Discovery documents: legacy (/api, /apis, /api/v1, /apis/batch/v1),
// aggregated v2 (APIGroupDiscoveryList) and minimal OpenAPI v3 documents
// that tell kubectl the server validates fields itself (fieldValidation).

const crypto = require('crypto');
const { RESOURCES, groups } = require('./resources');

const AGGREGATED_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const AGGREGATED_TYPE_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

const VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0',
  gitCommit: '70d3cc986aa8221cd1dfb1121852688902d3bf53',
  gitTreeState: 'clean',
  buildDate: '2024-12-11T17:59:15Z',
  goVersion: 'go1.23.3',
  compiler: 'gc',
  platform: 'linux/amd64',
};

// Which discovery format the Accept header asks for: 'v2', 'v2beta1' or null.
function wantsAggregated(accept) {
  for (const part of (accept || '').split(',')) {
    const p = part.replace(/\s+/g, '');
    if (p.includes('as=APIGroupDiscoveryList') && p.includes('g=apidiscovery.k8s.io')) {
      if (p.includes('v=v2;') || p.endsWith('v=v2')) return 'v2';
      if (p.includes('v=v2beta1')) return 'v2beta1';
    }
  }
  return null;
}

function resourcesOf(group, version) {
  return RESOURCES.filter((r) => r.group === group && r.version === version);
}

function apiResourceList(group, version) {
  const gv = group ? `${group}/${version}` : version;
  const list = [];
  for (const r of resourcesOf(group, version)) {
    const e = { name: r.resource, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs };
    if (r.shortNames.length) e.shortNames = r.shortNames;
    if (r.categories.length) e.categories = r.categories;
    e.storageVersionHash = crypto.createHash('sha256').update(gv + r.kind).digest('base64').slice(0, 11);
    list.push(e);
    for (const s of r.subresources) {
      list.push({ name: `${r.resource}/${s}`, singularName: '', namespaced: r.namespaced, kind: s === 'log' ? 'Pod' : r.kind, verbs: s === 'log' ? ['get'] : ['get', 'patch', 'update'] });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources: list };
}

function apiVersions(serverAddress) {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(name) {
  const versions = [...(groups().get(name) || [])].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions, preferredVersion: versions[0] };
}

function apiGroupList() {
  const out = [];
  for (const g of groups().keys()) if (g) out.push(apiGroup(g));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: out };
}

function discoveryVersion(group, version) {
  const resources = resourcesOf(group, version).map((r) => {
    const e = {
      resource: r.resource,
      responseKind: { group, version, kind: r.kind },
      scope: r.namespaced ? 'Namespaced' : 'Cluster',
      singularResource: r.singular,
      verbs: r.verbs,
    };
    if (r.shortNames.length) e.shortNames = r.shortNames;
    if (r.categories.length) e.categories = r.categories;
    if (r.subresources.length) {
      e.subresources = r.subresources.map((s) => ({
        subresource: s,
        responseKind: { group, version, kind: s === 'log' ? 'Pod' : r.kind },
        verbs: s === 'log' ? ['get'] : ['get', 'patch', 'update'],
      }));
    }
    return e;
  });
  return { version, resources, freshness: 'Current' };
}

// Aggregated discovery for /api (legacy=true) or /apis.
function aggregated(legacy, which) {
  const items = [];
  for (const [g, versions] of groups()) {
    if (legacy !== (g === '')) continue;
    items.push({
      metadata: { name: g, creationTimestamp: null },
      versions: [...versions].map((v) => discoveryVersion(g, v)),
    });
  }
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${which}`, metadata: {}, items };
}

// ---- OpenAPI v3 -------------------------------------------------------------

function gvPath(group, version) {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function openapiGroupDoc(group, version) {
  const paths = {};
  const param = (name, where) => ({ name, in: where, schema: { type: 'string', uniqueItems: true } });
  const schemas = {};
  for (const r of resourcesOf(group, version)) {
    const base = `/${gvPath(group, version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.resource}`;
    const gvk = { group, version, kind: r.kind };
    const ref = `io.k8s.api.${group || 'core'}.${version}.${r.kind}`;
    const body = { content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } };
    const ok = { 200: { description: 'OK', content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } } };
    const queryParams = ['dryRun', 'fieldManager', 'fieldValidation'].map((n) => param(n, 'query'));
    paths[base] = {
      post: { operationId: `create${r.kind}`, 'x-kubernetes-action': 'post', 'x-kubernetes-group-version-kind': gvk,
        parameters: queryParams, requestBody: body, responses: ok },
      get: { operationId: `list${r.kind}`, 'x-kubernetes-action': 'list', 'x-kubernetes-group-version-kind': gvk, responses: ok },
    };
    paths[`${base}/{name}`] = {
      get: { operationId: `read${r.kind}`, 'x-kubernetes-action': 'get', 'x-kubernetes-group-version-kind': gvk, responses: ok },
      put: { operationId: `replace${r.kind}`, 'x-kubernetes-action': 'put', 'x-kubernetes-group-version-kind': gvk,
        parameters: queryParams, requestBody: body, responses: ok },
      patch: { operationId: `patch${r.kind}`, 'x-kubernetes-action': 'patch', 'x-kubernetes-group-version-kind': gvk,
        parameters: queryParams.concat([param('force', 'query')]), requestBody: body, responses: ok },
      delete: { operationId: `delete${r.kind}`, 'x-kubernetes-action': 'delete', 'x-kubernetes-group-version-kind': gvk, responses: ok },
      parameters: [param('name', 'path'), ...(r.namespaced ? [param('namespace', 'path')] : [])].map((p) => Object.assign(p, { required: true })),
    };
    schemas[ref] = {
      type: 'object',
      description: `${r.kind} (schema not modelled by the test server; the server validates)`,
      'x-kubernetes-group-version-kind': [gvk],
      'x-kubernetes-preserve-unknown-fields': true,
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: VERSION.gitVersion },
    paths,
    components: { schemas },
  };
}

function hashOf(doc) {
  return crypto.createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 128).toUpperCase();
}

function openapiRoot() {
  const paths = {};
  for (const [g, versions] of groups()) {
    for (const v of versions) {
      const p = gvPath(g, v);
      paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hashOf(openapiGroupDoc(g, v))}` };
    }
  }
  return { paths };
}

// Returns the OpenAPI v3 document for "api/v1" or "apis/batch/v1", or null.
function openapiFor(path) {
  for (const [g, versions] of groups()) {
    for (const v of versions) if (gvPath(g, v) === path) return openapiGroupDoc(g, v);
  }
  return null;
}

module.exports = {
  AGGREGATED_TYPE,
  AGGREGATED_TYPE_V2BETA1,
  VERSION,
  wantsAggregated,
  apiResourceList,
  apiVersions,
  apiGroup,
  apiGroupList,
  aggregated,
  openapiRoot,
  openapiFor,
};
