// What `meshvm status` reads on a VM, in one script (one SSH round trip), and its output parsed into facts. The script
// only reads. Of the token it sends back only the claims segment (the signature, which makes it a credential, stays
// on the VM).
import { factsScript, splitFacts } from './facts-script.js'

/** The VM's side of its mesh identity, as read; times are epoch milliseconds. */
export interface VmStatusFacts {
  /** The VM's clock when the script ran. */
  now: number
  packageVersion?: string
  unit: { loaded: boolean; active: string; sub: string; activeSince?: number; restarts?: number }
  /** When PID 1 started: the last boot (also of a container). */
  bootAt?: number
  chainPem?: string
  rootPem?: string
  token: { present: boolean; claims?: TokenClaims; unreadable?: boolean }
  files: { 'cluster.env'?: string; 'mesh.yaml'?: string; hosts?: string }
  /** When cluster.env was last written: meshvm's last onboarding change. */
  clusterEnvWrittenAt?: number
  /** Connect, warning and error lines of istio.log, oldest first (the tail). */
  logLines: string[]
}

/** The claims of a service-account JWT that status uses; the token itself never leaves the VM. */
export interface TokenClaims {
  exp?: number
  iat?: number
  aud?: string[]
  sub?: string
}

export const STATUS_PATHS = {
  chain: '/etc/certs/cert-chain.pem',
  root: '/etc/certs/root-cert.pem',
  token: '/var/run/secrets/tokens/istio-token',
  clusterEnv: '/var/lib/istio/envoy/cluster.env',
  mesh: '/etc/istio/config/mesh',
  hosts: '/etc/hosts',
  log: '/var/log/istio/istio.log',
} as const

const file = (path: string) => `[ -r ${path} ] && base64 -w0 < ${path}`
// systemd prints timestamps as e.g. "Tue 2026-12-01 09:07:56 UTC"; --timestamp=unix (systemd 251+) as "@1764580076".
const unitProps = 'LoadState ActiveState SubState ActiveEnterTimestamp NRestarts'
  .split(' ')
  .map((p) => `-p ${p}`)
  .join(' ')

const SNIPPETS = [
  'date +%s',
  "dpkg-query -W -f='${Version}' istio-sidecar 2>/dev/null || rpm -q --qf '%{VERSION}' istio-sidecar",
  `systemctl show istio ${unitProps} --timestamp=unix 2>/dev/null || systemctl show istio ${unitProps}`,
  // the boot: when PID 1 started (kernel boot time + its start in clock ticks), without a second systemctl call
  `awk -v t=$(getconf CLK_TCK) '/^btime/ { b = $2 } FILENAME == "/proc/1/stat" { sub(/^.*\\) /, ""); split($0, f, " "); printf "@%d\\n", b + f[20] / t }' /proc/stat /proc/1/stat`,
  file(STATUS_PATHS.chain),
  file(STATUS_PATHS.root),
  `if [ -e ${STATUS_PATHS.token} ]; then cut -d. -f2 < ${STATUS_PATHS.token} || echo unreadable; fi`,
  file(STATUS_PATHS.clusterEnv),
  `stat -c %Y ${STATUS_PATHS.clusterEnv}`,
  file(STATUS_PATHS.mesh),
  file(STATUS_PATHS.hosts),
  `tail -n 5000 ${STATUS_PATHS.log} | grep -E 'connected to upstream XDS server|	(warn|error)	|	agent	Version ' | tail -n 80`,
]

export function statusScript(nonce: string): string {
  return factsScript(SNIPPETS, nonce)
}

const b64 = (s: string) => (s.trim() ? Buffer.from(s.trim(), 'base64').toString('utf8') : undefined)

/** A systemd timestamp (`@<unix>` or `Tue 2026-12-01 09:07:56 UTC`) in epoch ms; undefined for "n/a" or empty. */
export function systemdTime(text: string | undefined): number | undefined {
  const t = (text ?? '').trim()
  if (!t || t === 'n/a') return undefined
  if (t.startsWith('@')) return Number(t.slice(1)) * 1000
  const m = /(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d+))? (UTC|GMT)$/.exec(t)
  return m ? Date.parse(`${m[1]}T${m[2]}Z`) : undefined
}

function claimsOf(segment: string): TokenClaims | undefined {
  try {
    const c = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>
    return {
      exp: typeof c.exp === 'number' ? c.exp : undefined,
      iat: typeof c.iat === 'number' ? c.iat : undefined,
      aud: Array.isArray(c.aud) ? (c.aud as string[]) : typeof c.aud === 'string' ? [c.aud] : undefined,
      sub: typeof c.sub === 'string' ? c.sub : undefined,
    }
  } catch {
    return undefined
  }
}

export function parseStatusOutput(stdout: string, nonce: string): VmStatusFacts {
  const [now, pkg, unit, boot, chain, root, token, env, envTime, mesh, hosts, log] = splitFacts(
    stdout,
    nonce,
    SNIPPETS.length,
  )
  const props = Object.fromEntries(
    unit
      .split('\n')
      .flatMap((l) => (l.includes('=') ? [[l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]] : [])),
  )
  const tokenText = token.trim()
  return {
    now: Number(now.trim()) * 1000,
    packageVersion: pkg.trim() || undefined,
    unit: {
      loaded: props.LoadState === 'loaded',
      active: props.ActiveState ?? 'unknown',
      sub: props.SubState ?? 'unknown',
      activeSince: systemdTime(props.ActiveEnterTimestamp),
      restarts: props.NRestarts === undefined ? undefined : Number(props.NRestarts),
    },
    bootAt: systemdTime(boot),
    chainPem: b64(chain),
    rootPem: b64(root),
    token: {
      present: tokenText !== '',
      unreadable: tokenText === 'unreadable' || undefined,
      claims: tokenText && tokenText !== 'unreadable' ? claimsOf(tokenText) : undefined,
    },
    files: { 'cluster.env': b64(env), 'mesh.yaml': b64(mesh), hosts: b64(hosts) },
    clusterEnvWrittenAt: envTime.trim() ? Number(envTime.trim()) * 1000 : undefined,
    logLines: log.split('\n').filter((l) => l.trim() !== ''),
  }
}
