// What a fleet command prints on terminals that cannot draw a tree: a 0x0 pty (as CI runners give) and TERM=dumb get
// plain lines, no cursor codes; an ordinary pty gets the live tree. A real pseudo-terminal each (python3's pty).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'

const bin = new URL('../../../bin/meshvm.js', import.meta.url).pathname
const playbook = new URL('../../../playbooks/verify.yaml', import.meta.url).pathname
const noPython = spawnSync('python3', ['-c', 'import pty']).status !== 0 ? 'needs python3' : false

// Runs argv on a new pty of the given size, with its stdin, stdout and stderr; prints everything it wrote.
const ptyRun = `
import fcntl, os, struct, subprocess, sys, termios
rows, cols = int(sys.argv[1]), int(sys.argv[2])
master, slave = os.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
p = subprocess.Popen(sys.argv[3:], stdin=slave, stdout=slave, stderr=slave, close_fds=True)
os.close(slave)
out = b''
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
p.wait()
sys.stdout.buffer.write(out)
`

function onPty(size: { rows: number; columns: number }, term: string): string {
  const dir = mkdtempSync('/tmp/meshvm-pty-')
  try {
    const inventory = join(dir, 'inventory.yaml')
    // nothing listens on port 1: the VM is unreachable at once, no cluster is needed
    writeFileSync(
      inventory,
      'defaults:\n  user: admin\n  app: web\n  namespace: apps\n  serviceAccount: web\nvms:\n  vmx:\n    address: 127.0.0.1\n    port: 1\n',
    )
    const argv = [process.execPath, bin, 'run', playbook, '-i', inventory]
    const r = spawnSync('python3', ['-c', ptyRun, String(size.rows), String(size.columns), ...argv], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, TERM: term, HOME: dir, NO_COLOR: '1' },
      timeout: 60_000,
    })
    assert.equal(r.status, 0, r.stderr)
    return r.stdout
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const plainLine = /^\S+Z vmx unreachable: admin@127\.0\.0\.1:1: connection refused \(\d+ms\)\r?$/m

for (const [what, size, term] of [
  ['a 0x0 pty', { rows: 0, columns: 0 }, 'xterm-256color'],
  ['TERM=dumb', { rows: 24, columns: 80 }, 'dumb'],
] as const)
  test(`${what}: plain timestamped lines, no cursor codes, no line cut into characters`, { skip: noPython }, () => {
    const out = onPty(size, term)
    assert.match(out, plainLine, out)
    assert.ok(!out.includes('\x1b'), `no escape sequence: ${JSON.stringify(out.slice(0, 300))}`)
    const lines = out.split(/\r?\n/).filter(Boolean)
    assert.ok(
      lines.every((l) => l.length > 3),
      'no line of a character or two (a tree drawn 0 wide)',
    )
  })

test('an 80x24 pty with TERM=xterm: the live tree (the same run, drawn)', { skip: noPython }, () => {
  const out = onPty({ rows: 24, columns: 80 }, 'xterm-256color')
  assert.ok(out.includes('\x1b['), 'cursor codes')
  assert.doesNotMatch(out, plainLine)
  assert.match(out, /⚠ vmx {2}unreachable/)
  assert.match(out, /⚠ 1\/1 VMs finished: 1 unreachable/)
})
