// A sharded onboard over the lab, as an Indexed Job's pods run it: `--shards K` processes at once, each with its
// JOB_COMPLETION_INDEX and its own working directory (as pods have), then `meshvm report merge` of their logs.
// Prints each shard's VMs, wall and peak RSS, the merged recap and the wall of the whole. Root, after a build.
// Usage: node bench/shards.mjs [--vms 12] [--shards 3] [--payload-mib 0] [--keep]
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { labDown, repo, run } from './measure.mjs'

const { values: o } = parseArgs({
  options: {
    vms: { type: 'string', default: '12' },
    shards: { type: 'string', default: '3' },
    'payload-mib': { type: 'string', default: '0' },
    keep: { type: 'boolean', default: false },
  },
})
const log = (s) => console.error(`bench: ${new Date().toISOString().slice(11, 19)} ${s}`)
const work = mkdtempSync('/tmp/meshvm-shards-')
const dir = join(work, 'lab')
const shards = Number(o.shards)
const meshvm = join(repo, 'bin/meshvm.js')

// one pod: stdout and stderr into one log, as `kubectl logs` shows them
function pod(index) {
  const cwd = join(work, `pod-${index}`)
  mkdirSync(cwd)
  const args = ['onboard', '-i', join(dir, 'inventory.yaml'), '--kubeconfig', join(dir, 'kubeconfig')]
  const started = Date.now()
  const child = spawn(meshvm, [...args, '--shards', String(shards), '--output', 'plain', '--report', '-'], {
    cwd,
    env: { ...process.env, JOB_COMPLETION_INDEX: String(index) },
  })
  let logText = ''
  let stdout = ''
  child.stdout.on('data', (d) => ((logText += d), (stdout += d)))
  child.stderr.on('data', (d) => (logText += d))
  return new Promise((resolve) =>
    child.on('close', (code) => {
      const file = join(work, `shard-${index}.log`)
      writeFileSync(file, logText)
      resolve({ index, code, wallMs: Date.now() - started, file, report: JSON.parse(stdout) })
    }),
  )
}

try {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')
  log(`lab up --vms ${o.vms} in ${dir}`)
  const up = await run(process.execPath, [
    meshvm,
    'lab',
    'up',
    '--vms',
    o.vms,
    '--dir',
    dir,
    '--payload-mib',
    o['payload-mib'],
  ])
  if (up.code !== 0) throw new Error(`lab up failed: ${up.stderr.slice(-2000)}`)
  const started = Date.now()
  const pods = await Promise.all(Array.from({ length: shards }, (_, i) => pod(i)))
  const wallMs = Date.now() - started
  const merged = await run(
    process.execPath,
    [meshvm, 'report', 'merge', ...pods.map((p) => p.file), '-i', join(dir, 'inventory.yaml')],
    {},
  )
  console.log(
    `### ${o.vms} lab VMs in ${shards} shards — ${new Date().toISOString().slice(0, 10)}, load at start ${load}\n`,
  )
  console.log('| shard | VMs | exit | wall s |')
  console.log('|---|---|---|---|')
  for (const p of pods)
    console.log(
      `| ${p.index}/${shards} | ${Object.keys(p.report.hosts).join(' ')} | ${p.code} | ${(p.wallMs / 1000).toFixed(1)} |`,
    )
  const covered = pods.flatMap((p) => Object.keys(p.report.hosts))
  console.log(
    `\nall shards at once: ${(wallMs / 1000).toFixed(1)} s; ${covered.length} VMs covered, ${new Set(covered).size} distinct`,
  )
  console.log(
    `\n\`meshvm report merge shard-*.log -i inventory.yaml\` (exit ${merged.code}):\n\n\`\`\`\n${merged.stdout}${merged.stderr}\`\`\``,
  )
} finally {
  if (o.keep) log(`--keep: lab left running in ${dir}`)
  else await labDown(dir, log)
}
