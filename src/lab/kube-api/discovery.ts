import type { ResourceType } from './resources.js'
import { ISSUER } from './tokens.js'

/** `/version`, as kube-apiserver reports its build. */
export function versionInfo(gitVersion: string): Record<string, string> {
  const m = /^v(\d+)\.(\d+)/.exec(gitVersion)
  return {
    major: m?.[1] ?? '1',
    minor: m?.[2] ?? '0',
    gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.24.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  }
}

export const coreVersions = (serverAddress: string) => ({
  kind: 'APIVersions',
  versions: ['v1'],
  serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
})

function groupVersions(table: ResourceType[]): Map<string, string[]> {
  const groups = new Map<string, string[]>()
  for (const t of table.filter((t) => t.group !== '' && t.versions.length > 0)) {
    const known = groups.get(t.group) ?? []
    groups.set(t.group, [...known, ...t.versions.filter((v) => !known.includes(v))])
  }
  return groups
}

function apiGroup(name: string, versions: string[]): Record<string, unknown> {
  const entries = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }))
  return { name, versions: entries, preferredVersion: entries[0] }
}

export function groupList(table: ResourceType[]): Record<string, unknown> {
  const groups = [...groupVersions(table)].map(([name, versions]) => apiGroup(name, versions))
  return { kind: 'APIGroupList', apiVersion: 'v1', groups }
}

export function group(table: ResourceType[], name: string): Record<string, unknown> | undefined {
  const versions = groupVersions(table).get(name)
  return versions && { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(name, versions) }
}

/** `/api/v1` or `/apis/<group>/<version>`; undefined when that group version is not served. */
export function resourceList(table: ResourceType[], groupName: string, version: string) {
  const types = table.filter((t) => t.group === groupName && t.versions.includes(version))
  if (types.length === 0) return undefined
  const resources = types.flatMap((t) => [
    {
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs,
      ...(t.shortNames ? { shortNames: t.shortNames } : {}),
    },
    ...(t.subresources ?? []).map((sub) => subresource(t, sub)),
  ])
  const groupVersion = groupName ? `${groupName}/${version}` : version
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources }
}

function subresource(t: ResourceType, sub: string): Record<string, unknown> {
  const base = { name: `${t.plural}/${sub}`, singularName: '', namespaced: t.namespaced }
  if (sub === 'token') {
    return { ...base, group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] }
  }
  return { ...base, kind: t.kind, verbs: ['get', 'patch', 'update'] }
}

/**
 * `GET /.well-known/openid-configuration`: the service-account issuer's discovery document, with the fields
 * kube-apiserver serves (pkg/serviceaccount/openidmetadata.go); the issuer is the one the emulator's tokens carry.
 */
export function openIdConfiguration(serverAddress: string) {
  return {
    issuer: ISSUER,
    jwks_uri: `https://${serverAddress}/openid/v1/jwks`,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
  }
}
