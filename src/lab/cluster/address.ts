import { runStatus } from '../hosts/run.js'

// Each lab's cluster (API :6443, istiod :15012) listens on its own address on the shared lab bridge, so labs never
// fight over ports: 198.18.0.1 (the bridge's own) for the first, then 198.18.255.<n>.
const FIRST = '198.18.0.1'
const candidates = () => [FIRST, ...Array.from({ length: 250 }, (_, i) => `198.18.255.${i + 2}`)]

async function bridgeAddresses(bridge: string): Promise<string[]> {
  const out = (await runStatus('ip', ['-o', '-4', 'addr', 'show', 'dev', bridge])).stdout
  return [...out.matchAll(/inet (\S+)\//g)].map((m) => m[1])
}

/** An address no other lab's cluster uses (`inUse`: addresses other labs' clusters hold), added to the bridge. */
export async function claimClusterAddress(bridge: string, inUse: string[]): Promise<string> {
  const address = candidates().find((a) => !inUse.includes(a))
  if (!address) throw new Error('no free lab cluster address left on the lab bridge')
  if (address !== FIRST && !(await bridgeAddresses(bridge)).includes(address)) {
    const r = await runStatus('ip', ['addr', 'add', `${address}/32`, 'dev', bridge])
    if (r.code !== 0) throw new Error(`ip addr add ${address} dev ${bridge}: ${r.stderr.trim()}`)
  }
  return address
}

export async function releaseClusterAddress(bridge: string, address: string): Promise<void> {
  if (address === FIRST) return
  if ((await bridgeAddresses(bridge)).includes(address)) await runStatus('ip', ['addr', 'del', `${address}/32`, 'dev', bridge])
}
