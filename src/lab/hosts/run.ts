import { execFile } from 'node:child_process'
import { ExitError } from '../../errors.js'

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

interface RunOptions {
  env?: NodeJS.ProcessEnv
  input?: string | Buffer
  timeoutMs?: number
}

/** Runs a host command and returns its outcome, whatever the exit code. */
export function runStatus(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { env: options.env ?? process.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
        resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code !== 0 ? err.message : '') })
      },
    )
    if (options.input !== undefined) child.stdin?.end(options.input)
  })
}

/** Runs a host command; a non-zero exit becomes an ExitError naming the command and its stderr. */
export async function run(cmd: string, args: string[], options: RunOptions = {}): Promise<string> {
  const r = await runStatus(cmd, args, options)
  if (r.code !== 0) throw new ExitError(`lab: ${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`)
  return r.stdout
}
