#!/usr/bin/env -S node --max-semi-space-size=1 --heap-growing-percent=50
// Memory for fleet uploads: each chunk ssh2 copies and encrypts is garbage at once, but it is freed only when the heap
// is collected. A 1 MiB young generation and a heap that grows 1.5x (not 2x) between full collections: a 30 MiB
// package pushed to 100 VMs peaked at 199-204 MB RSS instead of 306-333 MB, for 0.5 s more CPU (bench/README.md).
import { main } from '../dist/src/main.js'

// A reader that stops early (`meshvm status --output json | head -1`) ends the output, not the run: what was started
// finishes and the exit code stays the run's own, instead of a crash with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e
  })
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
