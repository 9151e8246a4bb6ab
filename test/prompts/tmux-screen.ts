// A real terminal for driving the CLI as a person would: a detached tmux session, keys in, screen text out.
import { execFileSync } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'

const POLL_MS = 100

export class TmuxScreen {
  /** Also the name of the screen's own tmux server (-L): screens never share or race a server. */
  readonly name = `meshvm-wizard-${process.pid}-${Math.random().toString(36).slice(2, 8)}`

  /** Runs `command` (a shell line) in a 160x50 terminal (or `size`); `[exit N]` is printed when it ends and the pane
   * stays. */
  constructor(
    command: string,
    opts: { cwd: string; env: Record<string, string | undefined>; size?: { columns: number; rows: number } },
  ) {
    // env(1) takes its -u options before the assignments
    const entries = Object.entries(opts.env)
    const unset = entries.filter(([, v]) => v === undefined).map(([k]) => `-u ${k}`)
    const env = [...unset, ...entries.flatMap(([k, v]) => (v === undefined ? [] : `${k}='${v}'`))]
    // the shell outlives a Ctrl-C that reaches the command as a signal (no raw mode), to print the exit code
    const line = `trap true INT; cd '${opts.cwd}' && env ${env.join(' ')} ${command}; echo "[exit $?]"; sleep 600`
    const { columns, rows } = opts.size ?? { columns: 160, rows: 50 }
    const size = ['-x', String(columns), '-y', String(rows)]
    execFileSync('tmux', ['-L', this.name, 'new-session', '-d', '-s', this.name, ...size, line])
  }

  /** What the terminal shows now, its rows only (no scrollback), one string per row, trailing blank rows dropped. */
  visible(): string[] {
    const text = execFileSync('tmux', ['-L', this.name, 'capture-pane', '-p', '-t', this.name], { encoding: 'utf8' })
    const rows = text.replace(/\n$/, '').split('\n')
    while (rows.length > 0 && rows.at(-1)!.trim() === '') rows.pop()
    return rows
  }

  /** Resizes the terminal; the program in it gets SIGWINCH. */
  resize(columns: number, rows: number): void {
    const size = ['-x', String(columns), '-y', String(rows)]
    execFileSync('tmux', ['-L', this.name, 'resize-window', '-t', this.name, ...size])
  }

  /** Everything the terminal showed, scrollback included. */
  text(): string {
    return execFileSync('tmux', ['-L', this.name, 'capture-pane', '-p', '-J', '-S', '-', '-t', this.name], {
      encoding: 'utf8',
    })
  }

  /** Waits (bounded) until the screen matches; returns the screen. */
  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    for (let waited = 0; ; waited += POLL_MS) {
      const screen = this.text()
      if (pattern.test(screen)) return screen
      if (waited >= timeoutMs) throw new Error(`no ${pattern} on screen after ${timeoutMs} ms; it shows:\n${screen}`)
      await sleep(POLL_MS)
    }
  }

  /** Types literal text (no Enter). */
  type(text: string): void {
    execFileSync('tmux', ['-L', this.name, 'send-keys', '-t', this.name, '-l', text])
  }

  /** Sends tmux key names: Enter, Down, C-c, C-u… */
  keys(...keys: string[]): void {
    execFileSync('tmux', ['-L', this.name, 'send-keys', '-t', this.name, ...keys])
  }

  /** Waits for the question, types the answer (if any) and presses Enter, then waits until it is accepted (✔). */
  async answer(question: string, text = '', accepted = true): Promise<void> {
    const q = escape(question)
    await this.waitFor(new RegExp(`\\? ${q}`))
    if (text) this.type(text)
    this.keys('Enter')
    if (accepted) await this.waitFor(new RegExp(`✔ ${q}`))
  }

  /** The exit code the command ended with (bounded wait). */
  async exitCode(timeoutMs = 20_000): Promise<number> {
    return Number(/\[exit (\d+)\]/.exec(await this.waitFor(/\[exit \d+\]/, timeoutMs))![1])
  }

  kill(): void {
    try {
      execFileSync('tmux', ['-L', this.name, 'kill-server'], { stdio: 'ignore' })
    } catch {
      // already gone
    }
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
