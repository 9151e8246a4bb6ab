/** Runs at most `max` tasks at once (sshd's MaxSessions, default 10, caps channels per connection). */
export class Limiter {
  #running = 0
  readonly #waiting: (() => void)[] = []

  constructor(readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.max) await new Promise<void>((resolve) => this.#waiting.push(resolve))
    else this.#running++
    try {
      return await task()
    } finally {
      // Hand the slot straight to the next waiter, so the count never dips and races.
      const next = this.#waiting.shift()
      if (next) next()
      else this.#running--
    }
  }
}
