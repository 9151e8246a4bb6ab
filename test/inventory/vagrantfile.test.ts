// The project's Vagrantfile is checked by Vagrant itself where Debian ships it (12), else parsed by Ruby.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'

const vagrantfile = new URL('../../../Vagrantfile', import.meta.url).pathname
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0
const skip = has('vagrant') || has('ruby') ? false : 'neither vagrant nor ruby is installed (.ci/run installs one)'

function validate(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'meshvm-vagrant-'))
  cpSync(vagrantfile, join(dir, 'Vagrantfile'))
  try {
    const cmd = has('vagrant') ? ['vagrant', 'validate', '--ignore-provider'] : ['ruby', '-c', 'Vagrantfile']
    return spawnSync(cmd[0], cmd.slice(1), {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, VAGRANT_HOME: join(dir, '.vagrant.d'), ...env },
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

test('the Vagrantfile validates', { skip }, () => {
  const r = validate()
  assert.equal(r.status, 0, r.stdout + r.stderr)
  assert.match(r.stdout, /validated successfully|Syntax OK/)
})

test(
  'MESHVM_VMS out of range is refused',
  { skip: has('vagrant') ? false : 'needs vagrant to evaluate the file' },
  () => {
    const r = validate({ MESHVM_VMS: '0' })
    assert.notEqual(r.status, 0)
    assert.match(r.stdout + r.stderr, /MESHVM_VMS must be between 1 and 50/)
  },
)
