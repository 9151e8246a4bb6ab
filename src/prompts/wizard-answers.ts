import { existsSync, statSync } from 'node:fs'
import { isIP } from 'node:net'
import { stringify } from 'yaml'

/** What the onboarding wizard asks; everything an inventory entry for one VM holds, and no secret. */
export interface WizardAnswers {
  host: string
  port: number
  user: string
  /** Set when authenticating with a key file; agent and password leave it unset. */
  identityFile?: string
  app: string
  namespace: string
  serviceAccount: string
  network: string
  labels: Record<string, string>
  ports: Record<string, number>
  /** Unset: meshvm finds the east-west gateway's address at run time. */
  ingressIP?: string
  /** Unset: the package matching the cluster's Istio version. */
  package?: { file: string; version?: string } | { url: string; sha256: string; version?: string }
  autoregister: boolean
}

/** A prompt validator: true when fine, else the message shown under the answer. */
export type Validate = (value: string) => true | string

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
// Kubernetes label keys (optional DNS prefix) and values.
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/
const PORT_NAME = /^[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/

const nameRule = 'lowercase letters, digits and "-"'
export const validNamespace: Validate = (v) => DNS_LABEL.test(v) || `not a valid namespace (${nameRule}, at most 63)`
export const validName: Validate = (v) => DNS_SUBDOMAIN.test(v) || `not a valid Kubernetes name (${nameRule}, ".")`
export const validHost: Validate = (v) => /^\S+$/.test(v) || 'enter a host name, IP or ssh_config alias'
export const validPort: Validate = (v) => {
  const n = Number(v)
  return (Number.isInteger(n) && n >= 1 && n <= 65535) || 'a port is a whole number from 1 to 65535'
}
export const validIP: Validate = (v) => v === '' || isIP(v) !== 0 || 'enter an IP address (or leave empty to detect it)'
export const validSha256: Validate = (v) => /^[0-9a-f]{64}$/i.test(v) || 'expected 64 hexadecimal digits'
export const validUrl: Validate = (v) => /^https?:\/\/\S+$/.test(v) || 'expected an http:// or https:// URL'

/** A path that must name an existing regular file (`what` names it in the message). */
export const existingFile =
  (what: string): Validate =>
  (v) => {
    if (v === '') return `enter the ${what} path`
    if (!existsSync(v)) return `${v}: no such file`
    return statSync(v).isFile() || `${v} is not a regular file`
  }

const items = (text: string) =>
  text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)

function pairs(text: string): Array<[string, string]> {
  return items(text).map((p) => {
    const i = p.indexOf('=')
    return i < 0 ? [p, ''] : [p.slice(0, i).trim(), p.slice(i + 1).trim()]
  })
}

/** `k=v,k=v` → labels; `''` → none. */
export const parseLabels = (text: string): Record<string, string> => Object.fromEntries(pairs(text))
/** `name=port,...` → ports; `''` → none. */
export const parsePorts = (text: string): Record<string, number> =>
  Object.fromEntries(pairs(text).map(([k, v]) => [k, Number(v)]))

const pairShape =
  (what: string): Validate =>
  (text) =>
    items(text).every((p) => p.includes('=')) || `write ${what}, separated by commas`

export const validLabels: Validate = (text) => {
  const shape = pairShape('labels as key=value')(text)
  if (shape !== true) return shape
  for (const [k, v] of pairs(text)) {
    if (!LABEL_KEY.test(k)) return `"${k}" is not a valid label key`
    if (!LABEL_VALUE.test(v)) return `"${v}" is not a valid label value (letters, digits, "-", "_", ".", at most 63)`
  }
  return true
}

export const validPorts: Validate = (text) => {
  const shape = pairShape('ports as name=number')(text)
  if (shape !== true) return shape
  for (const [name, port] of pairs(text)) {
    if (!PORT_NAME.test(name)) return `"${name}" is not a valid port name (${nameRule}, at most 15)`
    const ok = validPort(port)
    if (ok !== true) return `${name}: ${ok}`
  }
  return true
}

/** `k=v,k=v` again, for defaults taken from an existing WorkloadGroup. */
export const joinPairs = (map: Record<string, string | number> | undefined): string =>
  Object.entries(map ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',')

/** The version in a package file name such as istio-sidecar_1.24.2-lab_amd64.deb, or ''. */
export const versionInFileName = (path: string): string =>
  /(\d+\.\d+\.\d+)/.exec(path.split('/').pop() ?? '')?.[1] ?? ''

/**
 * The answers as a meshvm inventory (the wizard parses this same text, so a saved file runs exactly as the wizard did).
 * The VM is named after its host; port 22 is left out so ~/.ssh/config may set it, as `ssh` without `-p` would.
 */
export function inventoryText(a: WizardAnswers, rerun: string): string {
  const vm = {
    address: a.host,
    ...(a.port === 22 ? {} : { port: a.port }),
    user: a.user,
    ...(a.identityFile ? { identityFile: a.identityFile } : {}),
    app: a.app,
    namespace: a.namespace,
    serviceAccount: a.serviceAccount,
    ...(a.network ? { network: a.network } : {}),
    ...(Object.keys(a.labels).length ? { labels: a.labels } : {}),
    ...(Object.keys(a.ports).length ? { ports: a.ports } : {}),
    ...(a.ingressIP ? { ingressIP: a.ingressIP } : {}),
    autoregister: a.autoregister,
    ...(a.package ? { package: a.package } : {}),
  }
  const header = '# Written by `meshvm onboard` (interactive). No secrets: passwords are never saved.'
  return `${header}\n# Run again with: ${rerun}\n\n${stringify({ vms: { [a.host]: vm } })}`
}
