// A scripted 30-VM run drawn by the real reporter on the real terminal this runs in (test/report/tty.test.ts drives it
// in tmux). It advances one phase per SIGUSR1, so the test can look at the screen, resize it, and go on:
//   0: ten lines as onboard's cluster lines, then all 30 start; vm1-vm3 finish well, vm4 fails, vm5 is unreachable; the others stay on a step
//   1: vm6-vm20 finish well
//   2: vm21 fails, the rest finish well; the run ends, then the recap
// Writes its pid to argv[2] once the first phase is drawn.
import { writeFileSync } from 'node:fs'
import { emptyTally, type RunEvent } from '../../src/executor/events.js'
import { createReporter } from '../../src/report/index.js'

const hosts = Array.from({ length: 30 }, (_, i) => `vm${i + 1}`)
const total = 13
const reporter = createReporter('tty', {})
const emit = (e: RunEvent) => reporter.listener(e)
const at = () => Date.now()

function ok(host: string) {
  emit({ type: 'host-end', at: at(), host, status: 'changed', tally: { ...emptyTally(), changed: 13 }, ms: 3200 })
}
function failed(host: string, msg: string) {
  const name = 'Wait for the XDS connection'
  const result = { status: 'failed' as const, msg, ms: 120_000 }
  emit({ type: 'step-start', at: at(), host, index: 11, total, kind: 'wait-for-log', name })
  emit({ type: 'step-end', at: at(), host, index: 11, kind: 'wait-for-log', name, result })
  const tally = { ...emptyTally(), ok: 11, failed: 1 }
  emit({
    type: 'host-end',
    at: at(),
    host,
    status: 'failed',
    tally,
    msg: `${name}: ${msg}`,
    errorKind: 'step',
    ms: 9000,
  })
}

const phases = [
  () => {
    // as onboard says what it did in the cluster first: the tree starts lower on the screen
    for (let i = 1; i <= 10; i++) process.stderr.write(`cluster: created Namespace ns${i}\n`)
    emit({ type: 'run-start', at: at(), playbook: 'onboard', hosts, check: false })
    hosts.forEach((host, i) => {
      emit({ type: 'host-start', at: at(), host })
      const index = i % 12
      // every other row is long enough to wrap on a narrower terminal
      const name = `Step ${index + 1} of ${host}${index % 2 ? '' : ': upload /var/lib/istio/envoy/cluster.env'}`
      emit({ type: 'step-start', at: at(), host, index, total, kind: 'upload', name })
    })
    for (const h of ['vm1', 'vm2', 'vm3']) ok(h)
    failed('vm4', 'no line in 120s\nmore lines of the log')
    const tally = { ...emptyTally(), unreachable: 1 }
    emit({ type: 'host-end', at: at(), host: 'vm5', status: 'unreachable', tally, msg: 'connect ECONNREFUSED', ms: 5 })
  },
  () => hosts.slice(5, 20).forEach(ok),
  async () => {
    failed('vm21', 'connection refused')
    hosts.slice(21).forEach(ok)
    emit({ type: 'run-end', at: at(), ms: 9000, hosts: {} })
    await reporter.done()
    process.exit(0)
  },
]

let phase = 0
const next = async () => {
  await phases[phase++]!()
  // the tree draws at most once every 100 ms: the pid file says this phase is on screen
  setTimeout(() => writeFileSync(process.argv[2]!, `${process.pid} ${phase}`), 300)
}
process.on('SIGUSR1', () => void next())
setInterval(() => {}, 1000)
await next()
