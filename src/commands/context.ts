/** What a command may touch of the process: streams, env, cwd. Tests pass their own. */
export interface CommandContext {
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  env: NodeJS.ProcessEnv
  cwd: string
  /** The command line as typed (`meshvm onboard -i …`), for the report and the resume hint. */
  argv?: string[]
}

export type CommandMain = (argv: string[], ctx: CommandContext) => Promise<number>

export function processContext(): CommandContext {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() }
}
