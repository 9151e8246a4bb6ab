import assert from 'node:assert/strict'
import { test } from 'node:test'
import { stripVTControlCharacters } from 'node:util'
import { formatRecap, pickOutputMode, ReportCollector } from '../../src/report/index.js'
import { InputError } from '../../src/errors.js'
import { scriptedRun } from './fixture.js'

function recap(color: boolean): string[] {
  const c = new ReportCollector()
  for (const e of scriptedRun()) c.listener(e)
  return formatRecap(c.report(), { color })
}

test('recap: one aligned row of counts per host, like PLAY RECAP', () => {
  const lines = recap(false)
  assert.equal(lines[0], 'RECAP onboard.yaml')
  const rows = lines.slice(1, 6)
  assert.deepEqual(rows, [
    'vm-1    : ok=2  changed=3  unreachable=0  failed=0  skipped=0',
    'vm-2    : ok=0  changed=0  unreachable=1  failed=0  skipped=0',
    'vm-3    : ok=4  changed=0  unreachable=0  failed=1  skipped=0',
    'vm-10   : ok=4  changed=0  unreachable=0  failed=0  skipped=1',
    'retried : ok=1  changed=0  unreachable=0  failed=0  skipped=0',
  ])
  for (const key of [' : ', 'changed=', 'unreachable=', 'failed=', 'skipped='])
    assert.equal(new Set(rows.map((r) => r.indexOf(key))).size, 1, `${key} is in one column`)
})

test('recap: totals line, then each failure with its step and message', () => {
  const lines = recap(false)
  assert.match(lines[6], /^5 hosts in 36\.6s: ok=11 changed=3 unreachable=1 failed=1 skipped=1$/)
  assert.equal(lines.length, 9)
  assert.equal(lines[7], 'vm-2: unreachable: ssh: connect ECONNREFUSED 198.18.0.12:22')
  assert.match(lines[8], /^vm-3: step "Wait for XDS" failed: no XDS line in 30s; token .* rejected$/)
})

test('recap: colored on a TTY (red failures, yellow changes), same text without color', () => {
  const colored = recap(true)
  assert.deepEqual(
    colored.map((l) => stripVTControlCharacters(l)),
    recap(false),
  )
  assert.ok(colored[2].startsWith('\x1b[31mvm-2'), 'unreachable host in red')
  assert.ok(colored[1].startsWith('\x1b[33mvm-1'), 'changed host in yellow')
  assert.ok(colored[4].startsWith('\x1b[32mvm-10'), 'unchanged host in green')
})

test('output mode: tree on a TTY, plain lines otherwise, --output wins, anything else is bad input', () => {
  assert.equal(pickOutputMode(undefined, true), 'tty')
  assert.equal(pickOutputMode(undefined, false), 'plain')
  assert.equal(pickOutputMode(undefined, true, { term: 'dumb', columns: 80 }), 'plain', 'TERM=dumb: no cursor codes')
  assert.equal(pickOutputMode(undefined, true, { term: 'xterm', columns: 0 }), 'plain', 'a 0x0 pty draws no tree')
  assert.equal(pickOutputMode(undefined, true, { term: 'xterm', columns: 80 }), 'tty')
  assert.equal(pickOutputMode('tty', true, { term: 'dumb' }), 'tty', 'asked for explicitly')
  assert.equal(pickOutputMode('json', true), 'json')
  assert.equal(pickOutputMode('tty', false), 'tty')
  assert.throws(() => pickOutputMode('xml', true), InputError)
})
