// Medians and the printed table of bench/fleet.mjs.

export function medianOf(values) {
  const v = values.filter((x) => typeof x === 'number').sort((a, b) => a - b)
  if (v.length === 0) return undefined
  const mid = Math.floor(v.length / 2)
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2
}

/** Per contender, the medians of its fresh and re-run figures over the repetitions. */
export function summarize(results) {
  const names = [...new Set(results.runs.map((r) => r.contender))]
  return names.map((contender) => {
    const of = (phase, f) => medianOf(results.runs.filter((r) => r.contender === contender && r.phase === phase).map(f))
    return {
      contender,
      runs: results.runs.filter((r) => r.contender === contender && r.phase === 'fresh').length,
      freshWallMs: of('fresh', (r) => r.wallMs),
      rerunWallMs: of('rerun', (r) => r.wallMs),
      cpuMs: of('fresh', (r) => r.cpuMs),
      rerunCpuMs: of('rerun', (r) => r.cpuMs),
      peakMiB: of('fresh', (r) => r.peakPssMiB),
      rerunPeakMiB: of('rerun', (r) => r.peakPssMiB),
      peakProcs: of('fresh', (r) => r.peakProcs),
      vmsCpuMs: of('fresh', (r) => r.cpu.vms),
      machineBusyPct: of('fresh', (r) => (100 * r.cpu.machineBusy) / r.cpu.machineTotal),
    }
  })
}

const s = (ms) => (ms === undefined ? '-' : (ms / 1000).toFixed(1))
const mb = (mib) => (mib === undefined ? '-' : String(Math.round(mib)))
const ratio = (a, b) => (a === undefined || b === undefined ? '-' : (a / b).toFixed(2))

/** Prints the summary as a Markdown table (pasted as-is into bench/README.md), then every run. */
export function printTable(summary, results) {
  const m = results.machine
  console.log(
    `### ${results.vms} VMs — ${results.date.slice(0, 10)}, ${m.cores} cores, ${m.memGiB} GiB, ${m.os}, ` +
      `Node ${m.node}, load at start ${m.loadavg}`,
  )
  console.log(
    `forks ${results.forks}, sidecar .deb ${results.debMiB} MiB, medians of ${results.reps} runs per contender ` +
      `(order rotated each round), every run on freshly reset VMs; lab reset ${s(results.resetMedianMs)} s (median)\n`,
  )
  console.log(
    "| contender | N | fresh wall s | re-run wall s | controller CPU s (fresh / re-run) | peak RSS MB (fresh / re-run) | controller procs | VMs' CPU s | machine busy |",
  )
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const r of summary)
    console.log(
      `| ${r.contender} | ${results.vms} | ${s(r.freshWallMs)} | ${s(r.rerunWallMs)} | ${s(r.cpuMs)} / ${s(r.rerunCpuMs)} | ` +
        `${mb(r.peakMiB)} / ${mb(r.rerunPeakMiB)} | ${r.peakProcs ?? '-'} | ${s(r.vmsCpuMs)} | ${r.machineBusyPct?.toFixed(0) ?? '-'} % |`,
    )
  const by = Object.fromEntries(summary.map((r) => [r.contender, r]))
  const lines = []
  if (by.meshvm && by.ansible) {
    lines.push(
      `meshvm/Ansible fresh wall ${ratio(by.meshvm.freshWallMs, by.ansible.freshWallMs)} ` +
        `(Ansible takes ${ratio(by.ansible.freshWallMs, by.meshvm.freshWallMs)}× as long)`,
    )
    lines.push(
      `meshvm/Ansible re-run wall ${ratio(by.meshvm.rerunWallMs, by.ansible.rerunWallMs)} ` +
        `(${ratio(by.ansible.rerunWallMs, by.meshvm.rerunWallMs)}×)`,
    )
    lines.push(
      `meshvm/Ansible controller CPU ${ratio(by.meshvm.cpuMs, by.ansible.cpuMs)}, peak RSS ${ratio(by.meshvm.peakMiB, by.ansible.peakMiB)}`,
    )
  }
  if (by.meshvm && by.raw)
    lines.push(`meshvm/raw OpenSSH fresh wall ${ratio(by.meshvm.freshWallMs, by.raw.freshWallMs)}`)
  console.log(`\n${lines.map((l) => `- ${l}`).join('\n')}\n`)
  console.log('every run (s wall, s controller CPU, MB peak):')
  for (const r of results.runs)
    console.log(
      `  round ${r.rep} ${r.contender.padEnd(7)} ${r.phase.padEnd(5)} ${s(r.wallMs).padStart(6)} ${s(r.cpuMs).padStart(6)} ${mb(r.peakPssMiB).padStart(5)}`,
    )
}

/**
 * `--rtt`: per contender and phase, the wall time at each RTT, the extra wall time at the largest RTT over the smallest
 * in RTTs (every VM runs at once, so the fleet's extra time is each VM's), and what the proxy counted per VM.
 */
export function printLatencyTable(results) {
  const m = results.machine
  const rtts = [...new Set(results.runs.map((r) => r.rttMs))].sort((a, b) => a - b)
  const [lo, hi] = [rtts[0], rtts.at(-1)]
  console.log(
    `### ${results.vms} VMs through the latency proxy — ${results.date.slice(0, 10)}, ${m.cores} cores, ` +
      `Node ${m.node}, load at start ${m.loadavg}`,
  )
  console.log(
    `forks ${results.forks}, sidecar .deb ${results.debMiB} MiB, medians of ${results.reps} run(s), fresh runs on freshly reset VMs\n`,
  )
  console.log(
    `| contender | phase | ${rtts.map((r) => `wall s at ${r} ms`).join(' | ')} | extra at ${hi} ms, in RTTs | ` +
      'connections per VM | waits per VM | turnarounds per VM | chunks up / down per VM | KiB up / down per VM |',
  )
  console.log(`|---|---|${rtts.map(() => '---|').join('')}---|---|---|---|---|---|`)
  const keys = [...new Set(results.runs.map((r) => `${r.contender} ${r.phase}`))]
  for (const key of keys) {
    const [contender, phase] = key.split(' ')
    const runs = (rtt) => results.runs.filter((r) => r.contender === contender && r.phase === phase && r.rttMs === rtt)
    const wall = (rtt) => medianOf(runs(rtt).map((r) => r.wallMs))
    const at = (rtt, k) => medianOf(runs(rtt).map((r) => r.perVm?.[k]))
    const extra = hi > lo && wall(hi) !== undefined ? ((wall(hi) - wall(lo)) / (hi - lo)).toFixed(1) : '-'
    const kib = (k) => (at(hi, k) === undefined ? '-' : Math.round(at(hi, k) / 1024))
    console.log(
      `| ${contender} | ${phase === 'rerun' ? 'no-op' : phase} | ${rtts.map((r) => s(wall(r))).join(' | ')} | ${extra} | ` +
        `${at(hi, 'connections') ?? '-'} | ${at(hi, 'waits') ?? '-'} | ${at(hi, 'turnarounds') ?? '-'} | ${at(hi, 'chunksUp') ?? '-'} / ${at(hi, 'chunksDown') ?? '-'} | ` +
        `${kib('bytesUp')} / ${kib('bytesDown')} |`,
    )
  }
  console.log('\nevery run (RTT ms, s wall, s controller CPU, MB peak, waits / turnarounds per VM):')
  for (const r of results.runs)
    console.log(
      `  ${String(r.rttMs).padStart(3)} ms round ${r.rep} ${r.contender.padEnd(7)} ${r.phase.padEnd(5)} ${s(r.wallMs).padStart(6)} ` +
        `${s(r.cpuMs).padStart(6)} ${mb(r.peakPssMiB).padStart(5)} ${r.perVm?.waits ?? '-'} / ${r.perVm?.turnarounds ?? '-'}`,
    )
}
