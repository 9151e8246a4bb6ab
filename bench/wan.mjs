// The WAN stand-in of bench/fleet.mjs --rtt: a bench/latency-proxy.mjs process per RTT, and the contenders' files
// pointing at it (meshvm inventory with the VM's own address as its mesh IP, known_hosts for [127.0.0.1]:port).
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { dirname, join, resolve } from 'node:path'
import { parse, stringify } from 'yaml'
import { repo } from './measure.mjs'

/** Starts the proxy process for `hosts` at `rttMs`; resolves once it listens. */
export async function startWan(hosts, rttMs, out) {
  const map = join(out, `wan-${rttMs}ms.json`)
  const ready = `${map}.ready`
  writeFileSync(map, JSON.stringify(hosts.map((h) => ({ name: h.name, host: h.address, port: 22 }))))
  const trace = process.env.MESHVM_BENCH_TRACE_WAITS ? ['--trace', `${map}.waits.log`] : []
  const child = spawn(
    process.execPath,
    [join(repo, 'bench/latency-proxy.mjs'), '--rtt', String(rttMs), '--map', map, '--ready', ready, ...trace],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  )
  for (let i = 0; i < 200 && !existsSync(ready); i++) await sleep(50)
  if (!existsSync(ready)) throw new Error('latency proxy did not start')
  const ports = new Map(JSON.parse(readFileSync(ready, 'utf8')).map((l) => [l.name, l.listen]))
  const signal = async (sig) => {
    child.kill(sig)
    await sleep(300)
  }
  return {
    rttMs,
    ports,
    reset: () => signal('SIGUSR1'),
    async counts() {
      await signal('SIGUSR2')
      return JSON.parse(readFileSync(`${map}.counts.json`, 'utf8'))
    },
    stop: () => child.kill('SIGTERM'),
  }
}

/** meshvm's inventory and a known_hosts through the proxy; the mesh IP stays the VM's own address. */
export function proxiedFiles(lab, wan, out) {
  const knownHosts = join(out, `known_hosts-${wan.rttMs}ms`)
  const byAddress = new Map(
    readFileSync(lab.knownHosts, 'utf8')
      .trim()
      .split('\n')
      .map((l) => [l.split(' ')[0], l.split(' ').slice(1).join(' ')]),
  )
  const inventory = parse(readFileSync(lab.inventory, 'utf8'))
  const lines = []
  for (const [name, vm] of Object.entries(inventory.vms)) {
    const port = wan.ports.get(name)
    lines.push(`[127.0.0.1]:${port} ${byAddress.get(vm.address)}\n`)
    inventory.vms[name] = { address: '127.0.0.1', port, internalIP: vm.address }
  }
  inventory.defaults.knownHostsFile = knownHosts
  inventory.defaults.package.file = resolve(dirname(lab.inventory), inventory.defaults.package.file)
  writeFileSync(knownHosts, lines.join(''))
  const file = join(out, `inventory-${wan.rttMs}ms.yaml`)
  writeFileSync(file, stringify(inventory))
  return { inventory: file, knownHosts }
}
