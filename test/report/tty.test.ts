// The live tree on a real terminal (tmux): what a person sees at 80x24 with 30 VMs, across resizes, and at the end.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { TmuxScreen } from '../prompts/tmux-screen.js'

const noTmux = spawnSync('tmux', ['-V']).status !== 0 ? 'needs tmux' : false
const fleetScript = new URL('./tty-fleet.js', import.meta.url).pathname
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/

/** Waits (bounded) until the scripted fleet has drawn `phase`; returns its pid. */
async function phaseDrawn(pidFile: string, phase: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const [pid, at] = (() => {
      try {
        return readFileSync(pidFile, 'utf8').split(' ').map(Number)
      } catch {
        return [0, 0]
      }
    })()
    if (at === phase) return pid!
    await sleep(100)
  }
  throw new Error(`phase ${phase} never drawn`)
}

/** Polls the visible screen until `check` passes (a frame is redrawn within 100 ms of a change), bounded. */
async function settles(screen: TmuxScreen, check: (rows: string[]) => void): Promise<string[]> {
  let last: unknown
  for (let i = 0; i < 30; i++) {
    const rows = screen.visible()
    try {
      check(rows)
      return rows
    } catch (e) {
      last = e
      await sleep(100)
    }
  }
  throw last
}

const vmRows = (rows: string[]) =>
  rows.filter((r) => new RegExp(`^${SPINNER.source} vm\\d+  \\[`).test(r)).map((r) => r.split(' ')[1]!)

/** The frame of phase 0 at `rows` terminal rows: `shown` running VMs, the rest counted, then failures and summary. */
function frameOfPhase0(rows: string[], terminal: { columns: number; rows: number }, shown: number): void {
  assert.ok(rows.length < terminal.rows, `the frame fits, with the cursor's row (${rows.length} rows)`)
  assert.equal(rows.length, terminal.rows - 1, 'and uses the rows there are')
  for (const r of rows) assert.ok(r.length <= terminal.columns, `no row wraps: ${r}`)
  const names = vmRows(rows)
  assert.equal(names.length, shown, rows.join('\n'))
  assert.equal(new Set(names).size, names.length, 'no VM twice (no stale rows)')
  for (const done of ['vm1', 'vm2', 'vm3']) assert.ok(!names.includes(done), `${done} finished: folded at once`)
  assert.equal(rows.filter((r) => r.endsWith(` … ${25 - shown} more running`)).length, 1, rows.join('\n'))
  assert.ok(rows.includes('✖ vm4  [12/13] Wait for the XDS connection'), rows.join('\n'))
  assert.ok(rows.includes('  › no line in 120s …'))
  assert.ok(rows.includes('⚠ vm5  unreachable'))
  assert.ok(rows.includes('  › connect ECONNREFUSED'))
  // cut to the terminal's width, never wrapped
  const summary = '5/30 VMs done, 25 running: 3 changed, 1 failed, 1 unreachable'
  const last = rows.at(-1)!.slice(2)
  assert.ok(last === summary || (last.endsWith('…') && summary.startsWith(last.slice(0, -1))), last)
  assert.equal(rows.length, shown + 6, 'nothing but the frame: running rows, the count, 4 failure lines, the summary')
}

test(
  'live tree in tmux: 30 VMs at 80x24, finished VMs folded, "… N more running", clean repaint on resize',
  { skip: noTmux, timeout: 120_000 },
  async () => {
    const dir = mkdtempSync('/tmp/meshvm-tty-')
    const pidFile = join(dir, 'phase')
    const size = { columns: 80, rows: 24 }
    const screen = new TmuxScreen(`${process.execPath} ${fleetScript} ${pidFile}`, { cwd: dir, env: {}, size })
    try {
      const pid = await phaseDrawn(pidFile, 1)
      // 24 rows: the summary, the cursor's row and the failures (4 rows) leave 18: 17 VMs and the count
      await settles(screen, (rows) => frameOfPhase0(rows, size, 17))

      screen.resize(60, 16)
      await settles(screen, (rows) => frameOfPhase0(rows, { columns: 60, rows: 16 }, 9))
      screen.resize(100, 28)
      await settles(screen, (rows) => frameOfPhase0(rows, { columns: 100, rows: 28 }, 21))
      screen.resize(80, 24)
      await settles(screen, (rows) => frameOfPhase0(rows, size, 17))

      process.kill(pid, 'SIGUSR1')
      await phaseDrawn(pidFile, 2)
      await settles(screen, (rows) => {
        assert.equal(vmRows(rows).length, 10, rows.join('\n'))
        assert.ok(!rows.some((r) => r.includes('more running')), 'all running VMs fit now')
        assert.match(rows.at(-1)!, /^. 20\/30 VMs done, 10 running: 18 changed, 1 failed, 1 unreachable$/)
      })
      // narrower: the long rows of the last frame now take two rows each, and all of them are erased
      screen.resize(60, 24)
      await settles(screen, (rows) => {
        const frame = rows.filter((r) => !r.startsWith('cluster: '))
        assert.equal(vmRows(frame).length, 10, rows.join('\n'))
        assert.equal(frame.length, 15, `only the frame: 10 VMs, 4 failure lines, the summary\n${rows.join('\n')}`)
        for (const r of rows) assert.ok(r.length <= 60, r)
      })

      process.kill(pid, 'SIGUSR1')
      assert.equal(await screen.exitCode(), 0)
      const text = screen.text()
      const tree = text.slice(0, text.indexOf('RECAP')).trimEnd().split('\n')
      // the tree as it stays: failures with their reasons, then the summary with the worst outcome's glyph
      assert.deepEqual(tree.slice(-7), [
        '✖ vm4  [12/13] Wait for the XDS connection',
        '  › no line in 120s …',
        '⚠ vm5  unreachable',
        '  › connect ECONNREFUSED',
        '✖ vm21  [12/13] Wait for the XDS connection',
        '  › connection refused',
        '✖ 30/30 VMs finished: 27 changed, 2 failed, 1 unreachable',
      ])
      assert.doesNotMatch(text.slice(text.lastIndexOf('VMs finished')), SPINNER, 'no spinner left behind')
      // frames are erased row by row: the history keeps none but those a shrinking resize pushed up (5 resizes)
      const framesKept = text.split('\n').filter((l) => / VMs done, \d+ running/.test(l)).length
      assert.ok(framesKept <= 5, `${framesKept} old frames in the terminal's history`)
      assert.match(text, /^vm21 +: ok=11 +changed=0 +unreachable=0 +failed=1/m, 'the recap follows')
    } finally {
      screen.kill()
      rmSync(dir, { recursive: true, force: true })
    }
  },
)
