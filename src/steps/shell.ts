/** Quotes `s` as one POSIX shell word (the ssh door's own quoting, under a short name). */
export { shQuote as q } from '../ssh/exec.js'

/** `key=value` lines of a facts snippet's output; repeated keys keep every value in order. */
export class Facts {
  readonly #values = new Map<string, string[]>()
  constructor(text: string) {
    for (const line of text.split('\n')) {
      const eq = line.indexOf('=')
      if (eq <= 0) continue
      const key = line.slice(0, eq)
      const list = this.#values.get(key) ?? []
      list.push(line.slice(eq + 1))
      this.#values.set(key, list)
    }
  }
  get(key: string): string | undefined {
    return this.#values.get(key)?.[0]
  }
  all(key: string): string[] {
    return this.#values.get(key) ?? []
  }
}

export const octal = (mode: number): string => '0' + mode.toString(8).padStart(3, '0')
