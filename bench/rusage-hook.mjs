// Preloaded into the measured meshvm process (`node --import ./bench/rusage-hook.mjs bin/meshvm.js ...`): at exit it
// writes the process's own getrusage (peak RSS, user and system CPU) and its event-loop delay to
// $MESHVM_BENCH_RUSAGE. Measured from inside, so the figures are meshvm's alone, not a wrapper's or a shell's.
import { writeFileSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'

const out = process.env.MESHVM_BENCH_RUSAGE
if (out) {
  const loop = monitorEventLoopDelay({ resolution: 10 })
  loop.enable()
  process.on('exit', () => {
    loop.disable()
    const r = process.resourceUsage()
    const ms = (ns) => Math.round(ns / 1e5) / 10
    writeFileSync(
      out,
      JSON.stringify({
        maxRssKiB: r.maxRSS,
        userMs: r.userCPUTime / 1000,
        sysMs: r.systemCPUTime / 1000,
        loopDelayP99Ms: ms(loop.percentile(99)),
        loopDelayMaxMs: ms(loop.max),
      }),
    )
  })
}
