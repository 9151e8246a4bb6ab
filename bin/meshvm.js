#!/usr/bin/env -S node --max-semi-space-size=2
// A small young generation: the upload chunks ssh2 copies and encrypts die young, and are freed only when it is
// collected; with the default (16 MiB and more) a fleet upload of a 30 MiB package to 30 VMs held 50 MB more at peak.
import { main } from '../dist/src/main.js'

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
