// Benchmark: what opening one VM connection costs before the first step — login plus the VM lock — in SSH commands
// (exec requests) and round trips, through bench/latency-proxy.mjs at --rtt ms. See bench/README.md "Round trips per VM".
// Usage (a running lab: `meshvm lab up --vms 1 --dir DIR`; `npm run build` first):
//   node bench/connect-trips.mjs --lab DIR [--vm vm1] [--rtt 80] [--reps 5] [--dist dist]
//   --dist: the build to measure (e.g. a copy of an older commit's dist/, for a before/after)
//   --user operator: the lab's user whose sudo asks for a password (lab-sudo-pass, given as the become password)
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { parse } from 'yaml'
import { startProxies } from './latency-proxy.mjs'

const { values: o } = parseArgs({
  options: {
    lab: { type: 'string' },
    vm: { type: 'string', default: 'vm1' },
    rtt: { type: 'string', default: '80' },
    reps: { type: 'string', default: '5' },
    dist: { type: 'string', default: 'dist' },
    user: { type: 'string' },
  },
})
if (!o.lab) throw new Error('--lab DIR: the directory of a running `meshvm lab up`')
const dir = resolve(o.lab)
const { connect } = await import(resolve(o.dist, 'src/ssh/connect.js'))
const { Secret } = await import(resolve(o.dist, 'src/secret.js'))
const inv = parse(readFileSync(join(dir, 'inventory.yaml'), 'utf8'))
const vm = inv.vms[o.vm]
const rtt = Number(o.rtt)

// every command the connection sends is one exec request on the VM's client (the ssh2 that build loads)
const ssh2 = createRequire(resolve(o.dist, '..', 'package.json'))('ssh2')
let execs = 0
const exec = ssh2.Client.prototype.exec
ssh2.Client.prototype.exec = function (...args) {
  execs++
  return exec.apply(this, args)
}

const proxies = await startProxies([{ name: o.vm, host: vm.address, port: 22 }], rtt)
const port = proxies.listening[0].listen
const knownHosts = join(dir, `known_hosts.trips-${process.pid}`)
const keyLine = readFileSync(join(dir, 'known_hosts'), 'utf8')
  .split('\n')
  .find((l) => l.startsWith(`${vm.address} `))
writeFileSync(knownHosts, `[127.0.0.1]:${port} ${keyLine.split(' ').slice(1).join(' ')}\n`)
const user = o.user ?? inv.defaults.user
const target = { host: '127.0.0.1', port, user, identityFile: resolve(dir, inv.defaults.identityFile) }
const become = o.user === 'operator' ? { becomePassword: new Secret('lab-sudo-pass') } : {}
const options = { knownHostsFile: knownHosts, sshConfigFile: 'none', agentSocket: '', ...become }

const rows = []
for (let i = 0; i < Number(o.reps); i++) {
  for (const lock of [false, true]) {
    proxies.reset()
    execs = 0
    const started = performance.now()
    const conn = await connect(target, { ...options, ...(lock ? { lockHolder: `bench connect-trips ${i}` } : {}) })
    const ms = performance.now() - started
    const sent = execs
    const { waits, turnarounds } = proxies.counts[o.vm]
    await conn.close()
    rows.push({ lock, execs: sent, waits, turnarounds, ms })
  }
}
await proxies.close()
rmSync(knownHosts, { force: true })

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
console.log(`connect to ${user}@${o.vm} through a ${rtt} ms RTT proxy, ${o.reps} reps, build ${o.dist} (median):`)
console.log('what                 execs  waits  turnarounds  wall ms')
for (const lock of [false, true]) {
  const r = rows.filter((x) => x.lock === lock)
  const cols = [median(r.map((x) => x.execs)), median(r.map((x) => x.waits)), median(r.map((x) => x.turnarounds))]
  const name = lock ? 'login + VM lock' : 'login only'
  console.log(
    `${name.padEnd(20)} ${String(cols[0]).padStart(5)}  ${String(cols[1]).padStart(5)}  ${String(cols[2]).padStart(11)}  ${median(
      r.map((x) => x.ms),
    )
      .toFixed(0)
      .padStart(7)}`,
  )
}
