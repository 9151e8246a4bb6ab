import { spawn } from 'node:child_process'
import { chown, chmod, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join, basename } from 'node:path'
import { execFileSync } from 'node:child_process'
import { Secret } from '../../src/secret.js'
import type { Connection, ExecOptions, ExecResult, PutOptions } from '../../src/ssh/types.js'

const idOf = (flag: '-u' | '-g', name: string) => Number(execFileSync('id', [flag, name]).toString().trim())

/**
 * A Connection to this machine: commands run in `sh -c` as the test's user (root here), writes go temp + rename.
 * Tests point their playbooks at a temp directory, so the real step snippets run against real files.
 */
export class LocalConnection implements Connection {
  execs: string[] = []
  puts: string[] = []
  closed = false
  constructor(readonly host: string) {}

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    this.execs.push(command)
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] })
      const out: Buffer[] = []
      const err: Buffer[] = []
      child.stdout.on('data', (d) => out.push(d))
      child.stderr.on('data', (d) => err.push(d))
      child.on('error', reject)
      child.stdin.on('error', () => {}) // the command may exit without reading stdin
      child.on('close', (code) =>
        resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
      )
      child.stdin.end(options.stdin ?? '')
    })
  }

  async put(path: string, content: string | Buffer | Secret, options: PutOptions): Promise<void> {
    this.puts.push(path)
    const tmp = join(dirname(path), `.${basename(path)}.meshvm-tmp`)
    await writeFile(tmp, content instanceof Secret ? content.reveal() : content, { mode: 0o600 })
    if (options.owner || options.group)
      await chown(tmp, options.owner ? idOf('-u', options.owner) : -1, options.group ? idOf('-g', options.group) : -1)
    await chmod(tmp, options.mode)
    await rename(tmp, path)
  }

  async get(path: string): Promise<Buffer | undefined> {
    return readFile(path).catch(() => undefined)
  }

  async close(): Promise<void> {
    this.closed = true
  }
}
