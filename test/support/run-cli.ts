import { PassThrough, Writable } from 'node:stream'
import { main } from '../../src/main.js'

/** Runs the real CLI entry in-process with captured output. */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
  cwd = process.cwd(),
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, done) {
        append(String(chunk))
        done()
      },
    })
  const code = await main(argv, {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    stdin: new PassThrough(),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    cwd,
  })
  return { code, stdout, stderr }
}
