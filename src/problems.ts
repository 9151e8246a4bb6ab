import type { LineCounter, Node } from 'yaml'

const SHOWN = 200

// a huge key or value (a pasted file, a generated name) is shown by its start, not echoed whole into the terminal
const clip = (s: string) => (s.length <= SHOWN ? s : `${s.slice(0, SHOWN)}… (${s.length - SHOWN} more characters)`)

/** What is wrong with one YAML file, every problem at once: `<file>:<line>:<col>: [<field path>: ]<problem>` lines. */
export class Problems {
  readonly #found: Array<{ offset: number; line: string }> = []

  constructor(
    readonly file: string,
    readonly lines: LineCounter,
  ) {}

  /** `<file>:<line>:<col>` of a parsed node (its start) or a character offset. */
  at(where: Node | number | null | undefined): string {
    const { line, col } = this.lines.linePos(offsetOf(where))
    return `${this.file}:${line}:${col}`
  }

  add(where: Node | number | null | undefined, problem: string): void {
    this.push(`${this.at(where)}: ${clip(problem)}`, offsetOf(where))
  }

  /** A problem of the field at `path` (`vms.web-1.port`). */
  addField(where: Node | number | undefined, path: string, problem: string): void {
    this.push(`${this.at(where)}: ${path ? `${clip(path)}: ` : ''}${clip(problem)}`, offsetOf(where))
  }

  /** A line already carrying its position; `offset` places it for `inFileOrder`. */
  push(line: string, offset = 0): void {
    // a group's problem reached through each of its VMs is still one problem
    if (!this.#found.some((p) => p.line === line)) this.#found.push({ offset, line })
  }

  get count(): number {
    return this.#found.length
  }

  /** In the order they were found. */
  get list(): string[] {
    return this.#found.map((p) => p.line)
  }

  inFileOrder(): string[] {
    return [...this.#found].sort((a, b) => a.offset - b.offset).map((p) => p.line)
  }
}

const offsetOf = (where: Node | number | null | undefined) =>
  typeof where === 'number' ? where : (where?.range?.[0] ?? 0)
