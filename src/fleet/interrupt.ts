// Ctrl-C (SIGINT) or SIGTERM during a fleet run. The first: no VM and no step starts any more, the steps running now
// end (every write is temp + rename, so none is left half done), then the report and the failed list are written
// and the run exits 130 (SIGINT) or 143 (SIGTERM), as a shell reports a process killed by that signal. The second:
// exit at once.
const EXIT_CODE = { SIGINT: 130, SIGTERM: 143 } as const
type RunSignal = keyof typeof EXIT_CODE

export class RunInterrupt {
  #signal: RunSignal | undefined
  readonly #handlers = new Map<RunSignal, () => void>()

  constructor(
    readonly say: (line: string) => void,
    /** The live tree hides the cursor: give it back before exiting at once. */
    readonly restoreTerminal: () => void = () => {},
  ) {}

  /** Set once a signal came: the run is stopping. */
  get signal(): RunSignal | undefined {
    return this.#signal
  }

  /** The exit code of an interrupted run, undefined when none came. */
  get exitCode(): number | undefined {
    return this.#signal ? EXIT_CODE[this.#signal] : undefined
  }

  listen(): this {
    for (const sig of Object.keys(EXIT_CODE) as RunSignal[]) {
      const handler = () => this.#receive(sig)
      this.#handlers.set(sig, handler)
      process.on(sig, handler)
    }
    return this
  }

  close(): void {
    for (const [sig, handler] of this.#handlers) process.off(sig, handler)
    this.#handlers.clear()
  }

  #receive(sig: RunSignal): void {
    if (this.#signal) {
      this.restoreTerminal()
      this.say(`interrupted again (${sig}): stopping now, without the report`)
      process.exit(EXIT_CODE[sig])
    }
    this.#signal = sig
    const again = sig === 'SIGINT' ? 'Ctrl-C again' : 'a second signal'
    this.say(`interrupted (${sig}): no new VM or step starts; the steps running now finish; ${again} stops at once`)
  }
}
