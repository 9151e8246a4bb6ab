// known_hosts cases, each decided by OpenSSH's ssh (StrictHostKeyChecking yes) and by meshvm against one real sshd.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createHmac, randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { connect } from '../../src/ssh/connect.js'
import { SshError } from '../../src/ssh/errors.js'
import { keygen, startSshd, type Sshd } from '../support/sshd.js'

interface Case {
  name: string
  /** known_hosts lines; {port} {key} {other} {rsa} are filled in, and #hash(NAME) becomes NAME hashed. */
  lines: string[]
  host?: string
  config?: string[]
  /** Where the lines go: the user file (default) or the global one. */
  file?: 'global'
}

const CASES: Case[] = [
  { name: '[host]:port', lines: ['[127.0.0.1]:{port} {key}'] },
  { name: 'bare name, nothing under [host]:port', lines: ['127.0.0.1 {key}'] },
  { name: 'another key under [host]:port', lines: ['[127.0.0.1]:{port} {other}'] },
  { name: 'bare name right, [host]:port wrong', lines: ['127.0.0.1 {key}', '[127.0.0.1]:{port} {other}'] },
  { name: 'bare name wrong', lines: ['127.0.0.1 {other}'] },
  { name: 'empty file', lines: [] },
  { name: 'wildcard', lines: ['[127.0.0.*]:{port} {key}'] },
  { name: 'question mark', lines: ['[127.0.0.?]:{port} {key}'] },
  { name: 'negated', lines: ['[127.0.0.*]:{port},![127.0.0.1]:{port} {key}'] },
  { name: 'several names', lines: ['other.example,[127.0.0.1]:{port} {key}'] },
  { name: 'hashed [host]:port', lines: ['#hash([127.0.0.1]:{port}) {key}'] },
  { name: 'hashed bare name', lines: ['#hash(127.0.0.1) {key}'] },
  { name: 'hashed other name', lines: ['#hash(10.0.0.1) {key}'] },
  { name: 'hashed, wrong key', lines: ['#hash([127.0.0.1]:{port}) {other}'] },
  { name: '@revoked', lines: ['@revoked * {key}', '[127.0.0.1]:{port} {key}'] },
  { name: '@revoked other key', lines: ['@revoked * {other}', '[127.0.0.1]:{port} {key}'] },
  {
    name: 'comments and blank lines',
    lines: ['# a comment', '', '   ', '[127.0.0.1]:{port} {key} a trailing comment'],
  },
  { name: 'indented line', lines: ['   [127.0.0.1]:{port} {key}'] },
  { name: 'mixed-case host, plain entry', host: 'LocalHost', lines: ['[localhost]:{port} {key}'] },
  { name: 'mixed-case host, hashed entry', host: 'LocalHost', lines: ['#hash([localhost]:{port}) {key}'] },
  { name: 'mixed-case entry', host: 'localhost', lines: ['[LOCALHOST]:{port} {key}'] },
  { name: 'HostKeyAlias', config: ['HostKeyAlias vm-alias'], lines: ['vm-alias {key}'] },
  {
    name: 'HostKeyAlias, key under the address only',
    config: ['HostKeyAlias vm-alias'],
    lines: ['[127.0.0.1]:{port} {key}'],
  },
  { name: 'HostKeyAlias with a port', config: ['HostKeyAlias vm-alias'], lines: ['[vm-alias]:{port} {key}'] },
  { name: 'HostKeyAlias, hashed', config: ['HostKeyAlias vm-alias'], lines: ['#hash(vm-alias) {key}'] },
  { name: 'global file', file: 'global', lines: ['[127.0.0.1]:{port} {key}'] },
  { name: 'global file, wrong key', file: 'global', lines: ['[127.0.0.1]:{port} {other}'] },
  { name: 'only another key type', lines: ['[127.0.0.1]:{port} {rsa}'] },
  { name: 'another key type and the right key', lines: ['[127.0.0.1]:{port} {rsa}', '[127.0.0.1]:{port} {key}'] },
  { name: '@cert-authority, host offers no certificate', lines: ['@cert-authority * {other}'] },
  { name: 'marker on a hashed name', lines: ['@revoked #hash([127.0.0.1]:{port}) {key}', '[127.0.0.1]:{port} {key}'] },
  { name: 'name with port 22 for a non-22 port', lines: ['[127.0.0.1]:22 {key}'] },
]

function hashed(name: string): string {
  const salt = randomBytes(20)
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`
}

describe('known_hosts cases against ssh', () => {
  let sshd: Sshd
  let other: string
  let rsa: string
  before(async () => {
    sshd = await startSshd()
    other = keygen(join(sshd.dir, 'other')).split(' ').slice(0, 2).join(' ')
    const r = spawnSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', join(sshd.dir, 'rsa')])
    assert.equal(r.status, 0)
    rsa = spawnSync('cat', [join(sshd.dir, 'rsa.pub')], { encoding: 'utf8' })
      .stdout.split(' ')
      .slice(0, 2)
      .join(' ')
  })
  after(() => sshd?.stop())

  const setUp = (c: Case) => {
    const fill = (line: string) =>
      line
        .replaceAll('{port}', String(sshd.port))
        .replaceAll('{key}', sshd.hostKey)
        .replaceAll('{other}', other)
        .replaceAll('{rsa}', rsa)
        .replace(/#hash\(([^)]*)\)/, (_, name: string) => hashed(name))
    const known = join(sshd.dir, 'known_hosts_case')
    writeFileSync(known, c.lines.map(fill).join('\n') + '\n')
    const config = join(sshd.dir, 'ssh_config_case')
    writeFileSync(
      config,
      [
        'Host *',
        `  Port ${sshd.port}`,
        '  User root',
        `  IdentityFile ${sshd.clientKey}`,
        `  UserKnownHostsFile ${c.file === 'global' ? '/dev/null' : known}`,
        `  GlobalKnownHostsFile ${c.file === 'global' ? known : '/dev/null'}`,
        '  StrictHostKeyChecking yes',
        '  BatchMode yes',
        ...(c.config ?? []).map((l) => `  ${l}`),
        '',
      ].join('\n'),
    )
    return config
  }

  it('meshvm accepts and refuses host keys exactly where ssh does', async () => {
    const disagree: string[] = []
    const accepted: string[] = []
    for (const c of CASES) {
      const config = setUp(c)
      const host = c.host ?? '127.0.0.1'
      const ssh = spawnSync('ssh', ['-F', config, host, 'true'], { stdio: 'ignore' }).status === 0
      let meshvm: boolean
      try {
        await (await connect({ host }, { sshConfigFile: config, agentSocket: '' })).close()
        meshvm = true
      } catch (err) {
        assert.ok(err instanceof SshError && err.kind === 'hostkey', `${c.name}: ${String(err)}`)
        meshvm = false
      }
      if (ssh) accepted.push(c.name)
      if (ssh !== meshvm)
        disagree.push(`${c.name}: ssh ${ssh ? 'accepts' : 'refuses'}, meshvm ${meshvm ? 'accepts' : 'refuses'}`)
    }
    assert.deepEqual(disagree, [])
    // Both outcomes occur: the cases decide something.
    assert.ok(accepted.length >= 10 && CASES.length - accepted.length >= 10, accepted.join(', '))
  })
})
