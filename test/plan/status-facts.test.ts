// The status script on a machine without Istio (this one), and systemd's two timestamp formats.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { test } from 'node:test'
import { parseStatusOutput, statusScript, systemdTime } from '../../src/plan/status-facts.js'

test('the status script runs under sh and parses to "nothing installed" where nothing is', () => {
  const out = execFileSync('sh', ['-c', statusScript('n0nce')]).toString()
  const f = parseStatusOutput(out, 'n0nce')
  assert.ok(Math.abs(f.now - Date.now()) < 5000)
  assert.equal(f.packageVersion, undefined)
  assert.equal(f.unit.loaded, false)
  assert.equal(f.chainPem, undefined)
  assert.deepEqual(f.token, { present: false, unreadable: undefined, claims: undefined })
  assert.deepEqual(f.logLines, [])
  assert.match(f.files.hosts ?? '', /localhost/)
  assert.throws(() => parseStatusOutput(out.slice(0, out.length / 2), 'n0nce'), /facts output ended early/)
})

test('systemd timestamps: --timestamp=unix and the default text form', () => {
  assert.equal(systemdTime('@1764580076'), 1764580076000)
  assert.equal(systemdTime('Tue 2026-12-01 09:07:56 UTC'), Date.parse('2026-12-01T09:07:56Z'))
  assert.equal(systemdTime('n/a'), undefined)
  assert.equal(systemdTime(''), undefined)
})
