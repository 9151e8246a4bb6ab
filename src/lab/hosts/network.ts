import { InputError } from '../../errors.js'
import { run, runStatus } from './run.js'

export interface Subnet {
  network: number
  prefixLength: number
}

export function parseSubnet(cidr: string): Subnet {
  const m = cidr.match(/^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/)
  const prefixLength = Number(m?.[5])
  if (!m || prefixLength < 8 || prefixLength > 30) throw new InputError(`lab subnet must be IPv4 a.b.c.d/8..30: ${cidr}`)
  const ip = m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0)
  const size = 2 ** (32 - prefixLength)
  return { network: ip - (ip % size), prefixLength }
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.')
}

/** The bridge holds the subnet's first address; host number n (from 1) the (n+1)-th, so vm1 is .0.2. */
export function bridgeAddress(s: Subnet): string {
  return formatIp(s.network + 1)
}

export function hostAddress(s: Subnet, n: number): string {
  if (n + 2 >= 2 ** (32 - s.prefixLength)) throw new InputError(`lab host ${n} does not fit in /${s.prefixLength}`)
  return formatIp(s.network + 1 + n)
}

// A MAC fixed by the address keeps the machine's ARP cache right across lab restarts (a stale entry would blackhole
// the first ssh attempts for seconds).
function macFor(address: string): string {
  const hex = address.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))
  return ['02', '4d', ...hex].join(':')
}

async function linkExists(name: string): Promise<boolean> {
  return (await runStatus('ip', ['link', 'show', 'dev', name])).code === 0
}

/** Creates the lab bridge with the subnet's first address when absent; true when this call created it. */
export async function ensureBridge(bridge: string, address: string, prefixLength: number): Promise<boolean> {
  if (await linkExists(bridge)) return false
  await run('ip', ['link', 'add', bridge, 'type', 'bridge'])
  await run('ip', ['addr', 'add', `${address}/${prefixLength}`, 'dev', bridge])
  await run('ip', ['link', 'set', bridge, 'up'])
  return true
}

/** A netns with lo, and eth0 (a veth into the bridge) holding the host's address; no default route: nothing leaves. */
export async function addHostNetwork(
  netns: string,
  veth: string,
  bridge: string,
  address: string,
  prefixLength: number,
): Promise<void> {
  const peer = `${veth}p`
  await run('ip', ['netns', 'add', netns])
  await run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', peer, 'netns', netns])
  await run('ip', ['link', 'set', veth, 'master', bridge, 'up'])
  await run('ip', ['-n', netns, 'link', 'set', peer, 'name', 'eth0', 'address', macFor(address)])
  await run('ip', ['-n', netns, 'addr', 'add', `${address}/${prefixLength}`, 'dev', 'eth0'])
  await run('ip', ['-n', netns, 'link', 'set', 'eth0', 'up'])
  await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up'])
}

/** Idempotent: missing links and namespaces are fine. */
export async function removeHostNetwork(netns: string, veth: string): Promise<void> {
  if (await linkExists(veth)) await runStatus('ip', ['link', 'del', veth])
  await runStatus('ip', ['netns', 'del', netns])
}

export async function removeBridge(bridge: string): Promise<void> {
  if (await linkExists(bridge)) await run('ip', ['link', 'del', bridge])
}

/** Interfaces still enslaved to the bridge (another lab's hosts, or anything else someone attached). */
export async function bridgePorts(bridge: string): Promise<string[]> {
  const r = await runStatus('ip', ['-o', 'link', 'show', 'master', bridge])
  return r.stdout
    .split('\n')
    .map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter(Boolean)
}
