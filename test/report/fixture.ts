// A scripted run for the reporter tests: five hosts covering every outcome, a diff, a retry and a secret in a message.
import { Writable } from 'node:stream'
import { emptyTally, type RunEvent, type StepResult, type Tally } from '../../src/executor/events.js'
import { Secret } from '../../src/secret.js'

export const token = new Secret('eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2Vu.c2lnbmF0dXJl')
export const t0 = Date.parse('2026-11-25T20:31:00.000Z')

const steps = [
  { kind: 'directory', name: 'Create /etc/certs' },
  { kind: 'upload', name: 'Upload istio-token' },
  { kind: 'package', name: 'Install istio-sidecar package' },
  { kind: 'hosts-block', name: 'Hosts entries' },
  { kind: 'wait-for-log', name: 'Wait for XDS' },
]

export const hostsDiff = {
  path: '/etc/hosts',
  before: '127.0.0.1 localhost\n',
  after: '127.0.0.1 localhost\n# BEGIN meshvm\n10.0.0.1 istiod.istio-system.svc\n# END meshvm\n',
}

/** What each host's steps return, in order; a host with no plan is unreachable. */
const plans: Record<string, StepResult[] | undefined> = {
  'vm-1': [
    { status: 'ok', msg: 'directory present', ms: 12 },
    { status: 'changed', msg: 'uploaded', ms: 40 },
    { status: 'changed', msg: 'installed 1.24.0', ms: 2300 },
    { status: 'changed', msg: 'block added', diff: hostsDiff, ms: 30 },
    { status: 'ok', msg: 'connected to upstream XDS server', ms: 900 },
  ],
  'vm-2': undefined,
  'vm-3': [
    { status: 'ok', msg: 'directory present', ms: 10 },
    { status: 'ok', msg: 'file already uploaded', ms: 20 },
    { status: 'ok', msg: 'istio-sidecar 1.24.0 installed', ms: 50 },
    { status: 'ok', msg: 'block present', ms: 15 },
    { status: 'failed', msg: `no XDS line in 30s; token ${token.reveal()} rejected`, ms: 30000 },
  ],
  'vm-10': [
    { status: 'ok', msg: 'directory present', ms: 11 },
    { status: 'ok', msg: 'file already uploaded', ms: 21 },
    { status: 'skipped', msg: 'package source is local and unchanged', ms: 0 },
    { status: 'ok', msg: 'block present', ms: 14 },
    { status: 'ok', msg: 'connected to upstream XDS server', ms: 300 },
  ],
  retried: [{ status: 'ok', msg: 'directory present', ms: 5 }],
}

export const hostNames = Object.keys(plans)

function tallyOf(results: StepResult[]): Tally {
  const t = emptyTally()
  for (const r of results) t[r.status]++
  return t
}

/** The run's events, in the order an executor running the hosts one after another would emit them. */
export function scriptedRun(): RunEvent[] {
  let at = t0
  const tick = (ms = 100) => (at += ms)
  const ev: RunEvent[] = [{ type: 'run-start', at, playbook: 'onboard.yaml', hosts: hostNames, check: false }]
  const tallies: Record<string, Tally> = {}
  for (const host of hostNames) {
    const started = tick()
    ev.push({ type: 'host-start', at, host })
    if (host === 'retried') {
      ev.push({ type: 'step-start', at: tick(), host, index: 0, total: 1, ...steps[0] })
      ev.push({ type: 'host-retry', at: tick(), host, attempt: 2, msg: 'ssh: connection reset' })
    }
    const results = plans[host]
    if (!results) {
      tallies[host] = { ...emptyTally(), unreachable: 1 }
      const msg = 'ssh: connect ECONNREFUSED 198.18.0.12:22'
      const tally = tallies[host]
      ev.push({ type: 'host-end', at: tick(), host, status: 'unreachable', tally, msg, ms: at - started })
      continue
    }
    const total = host === 'retried' ? 1 : steps.length
    results.forEach((result, index) => {
      const { kind, name } = steps[index]
      ev.push({ type: 'step-start', at: tick(), host, index, total, kind, name })
      ev.push({ type: 'step-end', at: tick(result.ms), host, index, kind, name, result })
    })
    tallies[host] = tallyOf(results)
    const status = tallies[host].failed ? 'failed' : tallies[host].changed ? 'changed' : 'ok'
    ev.push({ type: 'host-end', at: tick(), host, status, tally: tallies[host], ms: at - started })
  }
  ev.push({ type: 'run-end', at: tick(), ms: at - t0, hosts: tallies })
  return ev
}

/** A writable stream that keeps what is written, for asserting on a renderer's text. */
export function memoryStream(): { stream: NodeJS.WritableStream; text(): string } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString())
      done()
    },
  })
  return { stream, text: () => chunks.join('') }
}

/** The scripted run with `check: true`, as `--check` would report it. */
export function checkRun(): RunEvent[] {
  return scriptedRun().map((e) => (e.type === 'run-start' ? { ...e, check: true } : e))
}
