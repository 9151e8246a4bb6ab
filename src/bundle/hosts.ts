// The `hosts` file (createHosts in istio/istio istioctl/pkg/workload/workload.go): one line pointing istiod's name at the ingress address, or nothing.
import { isIP, isIPv4 } from 'node:net'
import type { VersionBehaviour } from './istio-version.js'

// Whether this istioctl version would write a hosts line for `address`.
function acceptsHostsAddress(address: string, behaviour: VersionBehaviour): boolean {
  if (behaviour.hostsAddress === 'non-empty') return address !== ''
  // IPv6 is written bare (no brackets); a zone (`fe80::1%eth0`) is valid, as for Go's netip.ParseAddr.
  return behaviour.hostsAddress === 'ipv4' ? isIPv4(address) : isIP(address) !== 0
}

/** The hosts file content: `<address> <istiod host>\n`, or '' when the address is not usable. */
export function hostsFile(address: string, istiodHostName: string, behaviour: VersionBehaviour): string {
  return acceptsHostsAddress(address, behaviour) ? `${address} ${istiodHostName}\n` : ''
}

/** istioctl's warning when no usable ingress address was found. */
export function hostsWarning(istiodHostName: string, istioNamespace: string): string {
  return (
    `Could not auto-detect IP for ${istiodHostName}/${istioNamespace}. ` +
    'Use --ingressIP to manually specify the Gateway address to reach istiod from the VM.'
  )
}
