// Which keys are offered, in which order: IdentitiesOnly against an agent full of other keys, decided by ssh and
// by meshvm against a real sshd that allows only 3 attempts (MaxAuthTries 3).
import assert from 'node:assert/strict'
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { connect } from '../../src/ssh/connect.js'
import { describeSshTarget } from '../../src/ssh/describe.js'
import { SshError } from '../../src/ssh/errors.js'
import { keygen, startSshd, type Sshd } from '../support/sshd.js'

describe('identity selection as ssh: IdentitiesOnly, the agent, IdentityAgent none', () => {
  let sshd: Sshd
  let agent: ChildProcess
  let socket: string
  let config: string

  before(async () => {
    sshd = await startSshd({ config: ['MaxAuthTries 3'] })
    socket = join(sshd.dir, 'agent.sock')
    agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' })
    for (let i = 0; i < 100 && !existsSync(socket); i++) await sleep(50)
    for (const name of ['agent_a', 'agent_b', 'agent_c', 'agent_d']) {
      keygen(join(sshd.dir, name))
      execFileSync('ssh-add', ['-q', join(sshd.dir, name)], {
        env: { ...process.env, SSH_AUTH_SOCK: socket },
        stdio: 'ignore',
      })
    }
    const known = join(sshd.dir, 'known_hosts')
    writeFileSync(known, `[127.0.0.1]:${sshd.port} ${sshd.hostKey}\n`)
    config = join(sshd.dir, 'ssh_config')
    const block = (name: string, extra: string[]) => [
      `Host ${name}`,
      '  HostName 127.0.0.1',
      `  Port ${sshd.port}`,
      '  User root',
      `  IdentityFile ${sshd.clientKey}`,
      `  UserKnownHostsFile ${known}`,
      '  BatchMode yes',
      ...extra.map((l) => `  ${l}`),
    ]
    writeFileSync(
      config,
      [
        ...block('only', ['IdentitiesOnly yes']),
        ...block('agent-first', []),
        ...block('no-agent', ['IdentityAgent none']),
        '',
      ].join('\n'),
    )
  })
  const savedSocket = process.env.SSH_AUTH_SOCK
  after(async () => {
    if (savedSocket === undefined) delete process.env.SSH_AUTH_SOCK
    else process.env.SSH_AUTH_SOCK = savedSocket
    agent?.kill()
    await sshd?.stop()
  })

  const env = () => ({ ...process.env, SSH_AUTH_SOCK: socket })
  const sshLogsIn = (host: string) =>
    spawnSync('ssh', ['-F', config, host, 'true'], { env: env(), stdio: 'ignore' }).status === 0
  const meshvmLogsIn = async (host: string) => {
    process.env.SSH_AUTH_SOCK = socket
    try {
      await (await connect({ host }, { sshConfigFile: config })).close()
      return true
    } catch (err) {
      assert.ok(err instanceof SshError && err.kind === 'auth', String(err))
      return false
    }
  }

  it('agent keys go first: four of them exhaust MaxAuthTries before the identity file, for ssh and meshvm', async () => {
    assert.equal(sshLogsIn('agent-first'), false)
    assert.equal(await meshvmLogsIn('agent-first'), false)
  })

  it('IdentitiesOnly yes offers only the identity file, and logs in', async () => {
    assert.equal(sshLogsIn('only'), true)
    assert.equal(await meshvmLogsIn('only'), true)
  })

  it('IdentityAgent none leaves the agent out, and logs in', async () => {
    assert.equal(sshLogsIn('no-agent'), true)
    assert.equal(await meshvmLogsIn('no-agent'), true)
  })

  it('inventory show --ssh lists the offers in that order', async () => {
    process.env.SSH_AUTH_SOCK = socket
    const offers = async (host: string) => (await describeSshTarget({ host }, { sshConfigFile: config }))[0].offers
    assert.deepEqual(await offers('agent-first'), ['ssh-agent', `key ${sshd.clientKey}`])
    assert.deepEqual(await offers('only'), ['ssh-agent (identity files only)', `key ${sshd.clientKey}`])
    assert.deepEqual(await offers('no-agent'), [`key ${sshd.clientKey}`])
  })
})
