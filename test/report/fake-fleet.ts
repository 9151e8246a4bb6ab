// Drives a reporter with a timed fake fleet, to look at the live tree by hand in a real terminal:
//   npx tsc -p tsconfig.json && node dist/test/report/fake-fleet.js [hosts=100] [forks=30] [mode=tty] [-v]
// (or under `script -qc '...' /dev/null` to get a pseudo-terminal from a pipe). Not a test: nothing is asserted.
import { emptyTally, type RunListener, type StepStatus } from '../../src/executor/events.js'
import { createReporter, pickOutputMode } from '../../src/report/index.js'

const [hostCount = 100, forks = 30] = process.argv.slice(2, 4).map(Number)
const mode = pickOutputMode(process.argv[4])
const steps = [
  'Create directories',
  'Upload root-cert.pem',
  'Upload istio-token',
  'Install istio-sidecar package',
  'Upload cluster.env',
  'Upload mesh.yaml',
  'Hosts entries',
  'Chown Istio paths',
  'Start istio',
  'Wait for XDS',
]
const hosts = Array.from({ length: hostCount }, (_, i) => `vm-${i + 1}`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
// A fixed pseudo-random sequence, so two runs look alike.
let seed = 7
const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647

async function runHost(host: string, emit: RunListener): Promise<void> {
  const start = Date.now()
  emit({ type: 'host-start', at: start, host })
  await sleep(200 + random() * 300)
  if (random() < 0.03) {
    const tally = { ...emptyTally(), unreachable: 1 }
    const msg = 'ssh: connect ECONNREFUSED'
    emit({ type: 'host-end', at: Date.now(), host, status: 'unreachable', tally, msg, ms: Date.now() - start })
    return
  }
  const tally = emptyTally()
  for (const [index, name] of steps.entries()) {
    emit({ type: 'step-start', at: Date.now(), host, index, total: steps.length, kind: 'fake', name })
    await sleep(50 + random() * (name.startsWith('Install') ? 1500 : 300))
    const status: StepStatus = random() < 0.005 ? 'failed' : random() < 0.3 ? 'changed' : 'ok'
    const msg = status === 'failed' ? 'exit status 1: dpkg: error processing package istio-sidecar' : 'fine'
    emit({ type: 'step-end', at: Date.now(), host, index, kind: 'fake', name, result: { status, msg, ms: 100 } })
    tally[status]++
    if (status === 'failed') break
  }
  const status = tally.failed ? 'failed' : tally.changed ? 'changed' : 'ok'
  emit({ type: 'host-end', at: Date.now(), host, status, tally, ms: Date.now() - start })
}

const reporter = createReporter(mode, { verbose: process.argv.includes('-v') })
const started = Date.now()
reporter.listener({ type: 'run-start', at: started, playbook: 'onboard.yaml', hosts, check: false })
const queue = [...hosts]
await Promise.all(
  Array.from({ length: forks }, async () => {
    for (let h = queue.shift(); h; h = queue.shift()) await runHost(h, reporter.listener)
  }),
)
reporter.listener({ type: 'run-end', at: Date.now(), ms: Date.now() - started, hosts: {} })
await reporter.done()
