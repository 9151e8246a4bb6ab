// What resolving ssh_config costs at fleet size: `ssh -G` per VM (run in parallel, cached per argument list) against
// meshvm's built-in reader, for N VMs in one config written in the corpus's styles (Host per VM, wildcards,
// Match, a jump host). Prints one line per resolver, with the CPU time it took (children included: ssh -G's own).
// Usage: npm run build && node bench/ssh-resolve.mjs [N] [ssh|builtin]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveHops } from '../dist/src/ssh/resolve.js'

const n = Number(process.argv[2] ?? 1000)
const dir = mkdtempSync(join(tmpdir(), 'meshvm-bench-ssh-'))
const lines = ['Host bastion', '  HostName bastion.example.com', '  User jump']
for (let i = 0; i < n; i++)
  lines.push(`Host vm-${i}`, `  HostName 10.${(i >> 8) & 255}.${i & 255}.10`, `  Port ${2200 + (i % 50)}`)
lines.push(
  'Match host 10.1.*',
  '  User match-user',
  'Host vm-*',
  '  ProxyJump bastion',
  '  IdentityFile ~/.ssh/fleet',
  'Host *',
  '  ServerAliveInterval 30',
)
const config = join(dir, 'ssh_config')
writeFileSync(config, lines.join('\n') + '\n')

const cpuMs = () => {
  const self = process.resourceUsage()
  return (self.userCPUTime + self.systemCPUTime) / 1000
}
for (const resolver of process.argv[3] ? [process.argv[3]] : ['ssh', 'builtin']) {
  const started = process.hrtime.bigint()
  const cpuBefore = cpuMs()
  const hops = await Promise.all(
    Array.from({ length: n }, (_, i) => resolveHops({ host: `vm-${i}` }, { sshConfigFile: config, resolver })),
  )
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  const total = hops.reduce((sum, h) => sum + h.length, 0)
  const cpu = cpuMs() - cpuBefore
  console.log(
    `${resolver.padEnd(7)} ${n} VMs (${total} hops): ${ms.toFixed(0)} ms wall, ${(ms / n).toFixed(2)} ms per VM; meshvm CPU ${cpu.toFixed(0)} ms`,
  )
}
rmSync(dir, { recursive: true, force: true })
