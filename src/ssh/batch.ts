import { randomBytes } from 'node:crypto'
import { SshError } from './errors.js'
import type { OutputListener, RawResult } from './exec.js'
import { CONTENT_CHANGED, contentBytes, INLINE_MAX, INLINE_WRITE_FAILED, tempFor, writeScript } from './put.js'
import type { ExecOptions, OpResult, ProgressListener, RemoteOp } from './types.js'

/** What a batch needs of the connection it runs over. */
export interface BatchChannel {
  readonly where: string
  readonly alive: boolean
  execRaw(script: string, options: ExecOptions, listener?: OutputListener): Promise<RawResult>
  /**
   * Puts a large write's content on the VM before the batch runs; returns where it landed (`tmp` or elsewhere).
   * `sent` hears the bytes the VM has acknowledged so far.
   */
  stage(path: string, tmp: string, data: Buffer, sent?: (bytes: number) => void): Promise<string>
  mask(text: string): string
}

// An op without its own timeout gets this much of the batch's.
const OP_TIMEOUT_MS = 120_000

// A staged write at least this large reports its bytes as they go (a smaller one takes a moment even on a slow link).
const PROGRESS_MIN_BYTES = 1024 * 1024

/** A write too large to travel as the batch's stdin: staged over SFTP before the batch. */
export const staged = (op: RemoteOp): boolean => 'put' in op && contentBytes(op.content).length > INLINE_MAX

/** One output stream of a batch, cut at each op's end marker; on stdout, progress lines are taken out as they come. */
class Marks {
  #data = Buffer.alloc(0)
  #from = 0
  #scan = 0
  readonly #progressHead?: Buffer
  constructor(
    readonly tag: string,
    progressTag?: string,
  ) {
    if (progressTag) this.#progressHead = Buffer.from(`${progressTag} `)
  }
  add(d: Buffer) {
    this.#data = Buffer.concat([this.#data, d])
  }
  reset() {
    this.#data = Buffer.alloc(0)
    this.#from = this.#scan = 0
  }
  /** The progress lines (`<tag> <op> <text>`) complete since the last call, as [op, text]. */
  progress(): [number, string][] {
    const head = this.#progressHead
    const found: [number, string][] = []
    while (head) {
      const at = this.#data.indexOf(head, this.#scan)
      if (at < 0) {
        // a head cut by the chunk's end is found once the rest arrives
        this.#scan = Math.max(this.#scan, this.#data.length - head.length + 1)
        break
      }
      const end = this.#data.indexOf('\n', at)
      if (end < 0) {
        this.#scan = at
        break
      }
      const record = this.#data.subarray(at + head.length, end).toString()
      const space = record.indexOf(' ')
      found.push([Number(record.slice(0, space)), record.slice(space + 1)])
      this.#scan = end + 1
    }
    return found
  }
  /** The bytes between `from` and `to` as text, without progress lines. */
  #text(from: number, to: number): string {
    const head = this.#progressHead
    let text = ''
    for (let at = from; at < to;) {
      const next = head ? this.#data.indexOf(head, at) : -1
      const cut = next < 0 || next >= to ? to : next
      text += this.#data.subarray(at, cut).toString()
      if (cut === to) break
      const end = this.#data.indexOf('\n', cut)
      at = end < 0 || end >= to ? to : end + 1
    }
    return text
  }
  /** Op `i`'s output and exit code once its marker arrived; `take` moves past it. */
  peek(i: number): { text: string; code: number; take: () => void } | undefined {
    const head = Buffer.from(`${this.tag} ${i} `)
    const at = this.#data.indexOf(head, this.#from)
    const close = at < 0 ? -1 : this.#data.indexOf('@@\n', at + head.length)
    if (close < 0) return undefined
    return {
      text: this.#text(this.#from, at),
      code: Number(this.#data.subarray(at + head.length, close).toString()),
      take: () => (this.#from = close + 3),
    }
  }
  rest(): string {
    return this.#text(this.#from, this.#data.length)
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
 * staged before the script runs. `each` hears each op as its markers arrive; `progress` hears the lines an op gives
 * `meshvm_progress` (a marker line on stdout, taken out of the op's output) and the bytes of a large write staged.
 */
export async function runBatch(
  ch: BatchChannel,
  all: RemoteOp[],
  each?: (index: number, result: OpResult) => void,
  progress?: ProgressListener,
): Promise<OpResult[]> {
  const tag = `@@meshvm-op ${randomBytes(8).toString('hex')}`
  const progressTag = `${tag}~`
  const stdin: Buffer[] = []
  const parts = [
    `m() { printf '%s %s %s@@\\n' '${tag}' "$1" "$2"; printf '%s %s %s@@\\n' '${tag}' "$1" "$2" >&2; }`,
    // one line per call, whatever the text holds: a newline in it would end the marker line early
    `meshvm_progress() { printf '%s %s %s\\n' '${progressTag}' "$meshvm_op" "$(printf '%s' "$1" | tr '\\n\\r' '  ')"; }`,
  ]
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
        const sent =
          progress && data.length >= PROGRESS_MIN_BYTES
            ? (bytes: number) => progress(i, { bytes, total: data.length })
            : undefined
        try {
          body = writeScript(op.put, { staged: await ch.stage(op.put, tmp, data, sent) }, tmp, prefix, op)
        } catch (e) {
          if (!(e instanceof SshError) || e.kind !== 'command') throw e
          // the ops before it still run; this one failed without running
          unstaged = { code: 1, stdout: '', stderr: '', ms: 0, failure: ch.mask(e.message) }
          ops = all.slice(0, i)
          break
        }
      }
    }
    parts.push(
      `meshvm_op=${i}; (\n${body}\n)${reads ? '' : ' </dev/null'}; rc=$?; m ${i} $rc; [ $rc -eq 0 ] || exit $rc`,
    )
  }
  const out = new Marks(tag, progressTag)
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
  // an op's progress is heard before its end, which may come in the same chunk
  const heard = () => {
    for (const [i, text] of out.progress()) progress?.(i, { line: ch.mask(text) })
  }
  const listener: OutputListener = {
    stdout: (d) => ((streamed = true), out.add(d), heard(), settle()),
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
