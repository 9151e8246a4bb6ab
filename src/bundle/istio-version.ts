// Which istioctl release's output to reproduce: istio/istio istioctl/pkg/workload/workload.go from 1.10 (istioctl/cmd/workload.go) to today,
// checked against the golden files in test/fixtures/conformance/.
import { InputError } from '../errors.js'
import type { IstioVersion } from './types.js'

/** What changed in `workload entry configure` output between istio 1.10 and today. */
export interface VersionBehaviour {
  /** 1.12+: `CA_ADDR` and `discoveryAddress` point at the revision's istiod. */
  revisionAddresses: boolean
  /** 1.12+: `--internalIP`/`--externalIP` land in cluster.env (1.11's separate sidecar.env is not reproduced). */
  workloadIpInClusterEnv: boolean
  /** 1.10-1.11 wrote `canonical-version` (a bug) into the labels JSON. */
  canonicalRevisionLabel: string
  /** Before 1.13 `ISTIO_META_POD_PORTS` held the JSON array encoded once more as a JSON string. */
  podPortsAsJsonString: boolean
  /** Before 1.13 istio-iptables excluded port 22 itself, so istioctl did not list it. */
  excludeSsh: boolean
  /** 1.11+: an unset status port excludes the default 15020. */
  excludeDefaultStatusPort: boolean
  /** Which ingress addresses get a hosts line: 1.10 any non-empty text, 1.11-1.18 IPv4 only, then any IP. */
  hostsAddress: 'non-empty' | 'ipv4' | 'ip'
}

const OLDEST: IstioVersion = { major: 1, minor: 10 }
const VERSION = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+][0-9A-Za-z.+-]*)?$/
const VERSION_PREFIX = /^v?(\d+)\.(\d+)/

const versionOf = (m: RegExpExecArray): IstioVersion => ({ major: Number(m[1]), minor: Number(m[2]) })

/** The version a tag or label starts with (`1.24.2`, `v1.24.2-distroless` → 1.24); undefined when none. */
export function istioVersionIn(text: string | undefined): IstioVersion | undefined {
  const m = VERSION_PREFIX.exec(text ?? '')
  return m ? versionOf(m) : undefined
}

/** `1.24.2`, `v1.24.2`, `1.24.2-distroless` → the release `1.24.2`; undefined without a patch number (`1.24`). */
export function releaseOf(text: string | undefined): string | undefined {
  return /^v?(\d+\.\d+\.\d+(?:-(?:alpha|beta|rc)\.\d+)?)(?:-[a-z]+)?$/.exec(text?.trim() ?? '')?.[1]
}

/** A version the user asked for: `1.10`, `1.10.0`, `v1.24.2`, `1.25.0-beta.1`; anything else, or older than 1.10, is an InputError. */
export function parseIstioVersion(text: string): IstioVersion {
  const m = VERSION.exec(text.trim())
  if (!m) throw new InputError(`not an istio version: '${text}' (expected e.g. 1.24.2)`)
  const version = versionOf(m)
  if (!atLeast(version, OLDEST.minor)) throw new InputError(`istio ${text} is not supported (oldest: 1.10)`)
  return version
}

export function behaviourOf(version: IstioVersion): VersionBehaviour {
  const since = (minor: number) => atLeast(version, minor)
  return {
    revisionAddresses: since(12),
    workloadIpInClusterEnv: since(12),
    canonicalRevisionLabel: since(12) ? 'service.istio.io/canonical-revision' : 'service.istio.io/canonical-version',
    podPortsAsJsonString: !since(13),
    excludeSsh: since(13),
    excludeDefaultStatusPort: since(11),
    hostsAddress: since(19) ? 'ip' : since(11) ? 'ipv4' : 'non-empty',
  }
}

function atLeast(version: IstioVersion, minor: number): boolean {
  return version.major > 1 || (version.major === 1 && version.minor >= minor)
}
