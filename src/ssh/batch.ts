import { randomBytes } from 'node:crypto'
import { SshError } from './errors.js'
import type { OutputListener, RawResult } from './exec.js'
import { CONTENT_CHANGED, contentBytes, INLINE_MAX, INLINE_WRITE_FAILED, tempFor, writeScript } from './put.js'
import type { ExecOptions, OpResult, RemoteOp } from './types.js'

/** What a batch needs of the connection it runs over. */
export interface BatchChannel {
  readonly where: string
  readonly alive: boolean
  execRaw(script: string, options: ExecOptions, listener?: OutputListener): Promise<RawResult>
  /** Puts a large write's content on the VM before the batch runs; returns where it landed (`tmp` or elsewhere). */
  stage(path: string, tmp: string, data: Buffer): Promise<string>
  mask(text: string): string
}

// An op without its own timeout gets this much of the batch's.
const OP_TIMEOUT_MS = 120_000

/** A write too large to travel as the batch's stdin: staged over SFTP before the batch. */
export const staged = (op: RemoteOp): boolean => 'put' in op && contentBytes(op.content).length > INLINE_MAX

/** One output stream of a batch, cut at each op's end marker. */
class Marks {
  #data = Buffer.alloc(0)
  #from = 0
  constructor(readonly tag: string) {}
  add(d: Buffer) {
    this.#data = Buffer.concat([this.#data, d])
  }
  reset() {
    this.#data = Buffer.alloc(0)
    this.#from = 0
  }
  /** Op `i`'s output and exit code once its marker arrived; `take` moves past it. */
  peek(i: number): { text: string; code: number; take: () => void } | undefined {
    const head = Buffer.from(`${this.tag} ${i} `)
    const at = this.#data.indexOf(head, this.#from)
    const close = at < 0 ? -1 : this.#data.indexOf('@@\n', at + head.length)
    if (close < 0) return undefined
    return {
      text: this.#data.subarray(this.#from, at).toString(),
      code: Number(this.#data.subarray(at + head.length, close).toString()),
      take: () => (this.#from = close + 3),
    }
  }
  rest(): string {
    return this.#data.subarray(this.#from).toString()
  }
}

function tail(r: { stdout: string; stderr: string }): string {
  const out = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-5).join('\n')
  return out ? `: ${out}` : ''
}

function failureOf(ch: BatchChannel, op: RemoteOp, r: OpResult): string {
  if ('run' in op) return op.failure?.(r) ?? `${op.what} failed (exit ${r.code})${tail(r)}`
  if (r.code === INLINE_WRITE_FAILED) {
    const why = r.stderr.trim() || 'the content arrived incomplete'
    if (!ch.alive) throw new SshError('connection', ch.where, `${ch.where}: upload of ${op.put} failed: ${why}`)
    return `${ch.where}: upload of ${op.put} failed: ${why}`
  }
  if (r.code === CONTENT_CHANGED && op.ifContent !== undefined)
    return `${ch.where}: ${op.put} changed since it was read; nothing written`
  return `${ch.where}: writing ${op.put} failed: ${r.stderr.trim()}`
}

/**
 * Runs `ops` as one `sh` script as root: each op in a subshell, followed by a marker line (on stdout and stderr) with
 * its exit code, the script ending after the first that fails. Small writes read their bytes from the script's stdin
 * in order; everything else reads /dev/null, so a command cannot swallow a later write's content. Large writes are
 * staged before the script runs. `each` hears each op as its markers arrive.
 */
export async function runBatch(
  ch: BatchChannel,
  all: RemoteOp[],
  each?: (index: number, result: OpResult) => void,
): Promise<OpResult[]> {
  const tag = `@@meshvm-op ${randomBytes(8).toString('hex')}`
  const stdin: Buffer[] = []
  const parts = [`m() { printf '%s %s %s@@\\n' '${tag}' "$1" "$2"; printf '%s %s %s@@\\n' '${tag}' "$1" "$2" >&2; }`]
  let ops = all
  let unstaged: OpResult | undefined
  for (const [i, op] of all.entries()) {
    let body: string
    let reads = false
    if ('run' in op) body = op.run.trim() ? op.run : 'true'
    else {
      const data = contentBytes(op.content)
      const { tmp, prefix } = tempFor(op.put)
      if (data.length <= INLINE_MAX) {
        body = writeScript(op.put, { stdin: data.length }, tmp, prefix, op)
        stdin.push(data)
        reads = true
      } else {
        try {
          body = writeScript(op.put, { staged: await ch.stage(op.put, tmp, data) }, tmp, prefix, op)
        } catch (e) {
          if (!(e instanceof SshError) || e.kind !== 'command') throw e
          // the ops before it still run; this one failed without running
          unstaged = { code: 1, stdout: '', stderr: '', ms: 0, failure: ch.mask(e.message) }
          ops = all.slice(0, i)
          break
        }
      }
    }
    parts.push(`(\n${body}\n)${reads ? '' : ' </dev/null'}; rc=$?; m ${i} $rc; [ $rc -eq 0 ] || exit $rc`)
  }
  const out = new Marks(tag)
  const err = new Marks(tag)
  const results: OpResult[] = []
  let last = Date.now()
  const report = (r: OpResult) => {
    results.push(r)
    each?.(results.length - 1, r)
  }
  const settle = () => {
    while (results.length < ops.length) {
      const i = results.length
      // stderr's marker is printed right after stdout's: an op ends when both have arrived
      const o = out.peek(i)
      const e = o && err.peek(i)
      if (!o || !e) return
      o.take()
      e.take()
      const now = Date.now()
      const r: OpResult = { code: o.code, stdout: ch.mask(o.text), stderr: ch.mask(e.text), ms: now - last }
      last = now
      if (r.code !== 0) r.failure = ch.mask(failureOf(ch, ops[i]!, r))
      report(r)
      if (r.code !== 0) return
    }
  }
  let streamed = false
  const listener: OutputListener = {
    stdout: (d) => ((streamed = true), out.add(d), settle()),
    stderr: (d) => ((streamed = true), err.add(d), settle()),
    restart: () => (out.reset(), err.reset()),
  }
  const stoppedAtFailure = () => results.length > 0 && results.at(-1)!.code !== 0
  if (ops.length > 0) {
    const timeoutMs = ops.reduce((sum, op) => sum + (('run' in op && op.timeoutMs) || OP_TIMEOUT_MS), 0)
    const r = await ch.execRaw(parts.join('\n'), { sudo: true, stdin: Buffer.concat(stdin), timeoutMs }, listener)
    if (!streamed) {
      // a channel that does not stream: the whole output at the end
      out.add(r.stdout)
      err.add(r.stderr)
    }
    settle()
    if (results.length < ops.length && !stoppedAtFailure()) {
      // the script ended without the op's marker (killed, or sudo refused it): the op failed with what it printed
      const cut: OpResult = { code: r.code || 1, stdout: ch.mask(out.rest()), stderr: ch.mask(err.rest()), ms: 0 }
      cut.failure = ch.mask(failureOf(ch, ops[results.length]!, cut))
      report(cut)
    }
  }
  if (unstaged && !stoppedAtFailure()) report(unstaged)
  return results
}
