import { hostname, userInfo } from 'node:os'
import type { ClientChannel } from 'ssh2'
import type { SshConnection } from './connection.js'
import { SshError } from './errors.js'
import { shQuote, SUDO_WRONG_PASSWORD } from './exec.js'

/** One meshvm run at a time per VM, whichever controller it comes from; released when the connection ends. */
export const VM_LOCK = '/run/lock/meshvm.lock'
const HOLDER = '/run/lock/meshvm.holder'
const ANSWER_MS = 60_000
// The holder hears from its run this often; without a beat for LOST_S it lets go: sshd alone notices a cut link only
// when it next sends (hours for an idle channel), and a lock must not outlive its run by that long.
const BEAT_MS = 3_000
const LOST_S = 20
const RELEASE_WAIT_MS = 15_000

/** Who this run is, as another run is told while this one holds a VM. */
export function runHolder(what: string): string {
  return `${what} by ${userInfo().username}@${hostname()} (pid ${process.pid}), since ${new Date().toISOString()}`
}

// flock on fd 9, held by the shell that reads the channel's stdin: it lets go when the run ends the channel (EOF),
// when the controller dies (sshd closes the pipes), or when no beat came for LOST_S (a cut link). Each beat touches the
// holder file. A run that finds the lock taken waits: a beat (the holder's run is alive) makes it busy; a holder that
// lost its run lets go within LOST_S, and the lock is taken then.
const script = (holder: string) =>
  [
    'command -v flock >/dev/null || { echo meshvm-lock=no-flock; exit 0; }',
    `mkdir -p /run/lock && exec 9>>${VM_LOCK} || exit 70`,
    `beat() { stat -c %Y ${HOLDER} 2>/dev/null; }`,
    'seen=$(beat); i=0',
    'while ! flock -n 9; do',
    `  if [ "$(beat)" != "$seen" ] || [ $i -ge ${(LOST_S + 5) * 5} ]; then echo meshvm-lock=busy; cat ${HOLDER} 2>/dev/null; exit 0; fi`,
    '  sleep 0.2; i=$((i + 1))',
    'done',
    `printf '%s\\n' ${shQuote(holder)} > ${HOLDER}; echo meshvm-lock=held`,
    `while [ "$(timeout ${LOST_S} head -c 1 9>&-)" = . ]; do touch ${HOLDER} 9>&-; done`,
  ].join('\n')

/**
 * Takes the VM's meshvm lock until `conn` closes, or throws (a failed VM, not an unreachable one) naming the run that
 * holds it. Closing the connection releases it and waits until the VM has let go, so the next run finds it free.
 */
export async function lockVm(conn: SshConnection, holder: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const { channel, closed, answer, out, err, code } = await ask(conn, script(holder))
    // sudo refused before running anything: its words as the usual clear error, or once more with the password
    const refused = answer === 'closed' && conn.sudoAgain({ code, stdout: Buffer.from(out), stderr: Buffer.from(err) })
    if (refused && attempt === 1) continue
    return settle(conn, channel, closed, answer, out + err)
  }
}

/** Opens the lock's channel and reads it until the holder says it holds the lock, or the channel ends. */
async function ask(conn: SshConnection, text: string) {
  const { channel, exitCode } = await conn.spawnHeld(text)
  let out = ''
  let err = ''
  const closed = new Promise<void>((resolve) => channel.once('close', () => resolve()))
  const answer = await new Promise<'held' | 'closed' | 'timeout'>((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), ANSWER_MS)
    const settle = (how: 'held' | 'closed') => {
      clearTimeout(timer)
      resolve(how)
    }
    channel.on('data', (d: Buffer) => {
      out += d.toString()
      if (/meshvm-lock=held\n/.test(out)) settle('held')
    })
    channel.stderr.on('data', (d: Buffer) => {
      err += d.toString()
      // a wrong become password: sudo asks again on stdin, which the lock keeps open; its end makes sudo give up
      if (SUDO_WRONG_PASSWORD.test(err)) channel.end()
    })
    void closed.then(() => settle('closed'))
  })
  // a channel that ended without an exit status (a signal, a lost connection) counts as failed
  const code = answer === 'closed' ? ((await exitCode) ?? 1) : 0
  return { channel, closed, answer, out, err, code }
}

/** The lock taken (released when the connection closes), or the error that says why not. */
function settle(conn: SshConnection, channel: ClientChannel, closed: Promise<void>, answer: string, out: string) {
  if (answer === 'held') {
    conn.holdsVmLock = true
    conn.beforeClose(holdUntilClose(conn, channel, closed))
    return
  }
  channel.close()
  if (out.includes('meshvm-lock=no-flock')) {
    throw new SshError(
      'command',
      conn.where,
      `${conn.where}: the VM has no flock (util-linux), which meshvm's VM lock needs`,
    )
  }
  const busy = /meshvm-lock=busy\n([^\n]*)/.exec(out)
  if (busy) {
    const who = busy[1] || 'a run that left no name'
    throw new SshError(
      'command',
      conn.where,
      `${conn.where}: another meshvm run is in progress on this VM, held by ${who}; run again when it has finished (lock ${VM_LOCK})`,
    )
  }
  const why = answer === 'timeout' ? `no answer within ${ANSWER_MS / 1000}s` : out.trim() || 'the lock command ended'
  throw new SshError('command', conn.where, `${conn.where}: cannot take the VM lock ${VM_LOCK}: ${conn.mask(why)}`)
}

/** Beats while the run holds the lock; the returned release ends the channel and waits for the holder to exit. */
function holdUntilClose(conn: SshConnection, channel: ClientChannel, closed: Promise<void>): () => Promise<void> {
  const beat = setInterval(() => conn.alive && channel.write('.'), BEAT_MS)
  beat.unref()
  void closed.then(() => clearInterval(beat))
  return async () => {
    clearInterval(beat)
    if (!conn.alive) return // nothing carries the release: the holder lets go LOST_S after the last beat
    channel.end()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, RELEASE_WAIT_MS)))])
    clearTimeout(timer)
  }
}
