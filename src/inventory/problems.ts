import type { LineCounter, Node } from 'yaml'
import { InputError } from '../errors.js'

/** Bad inventory: every problem found, one `<file>:<line>:<col>: <field path>: <problem>` line each, in file order. */
export class InventoryError extends InputError {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'))
    this.name = 'InventoryError'
  }
}

/** Collects problems with their source positions; `throwIfAny` raises them all at once. */
export class Problems {
  readonly #found: Array<{ offset: number; line: string }> = []

  constructor(
    readonly file: string,
    readonly lines: LineCounter,
  ) {}

  /** `where` is a parsed node (its start is used) or a character offset. */
  add(where: Node | number | undefined, path: string, problem: string): void {
    const offset = typeof where === 'number' ? where : (where?.range?.[0] ?? 0)
    const { line, col } = this.lines.linePos(offset)
    const prefix = path ? `${path}: ` : ''
    const text = `${this.file}:${line}:${col}: ${prefix}${problem}`
    // a group's problem reached through each of its VMs is still one problem
    if (!this.#found.some((p) => p.line === text)) this.#found.push({ offset, line: text })
  }

  get count(): number {
    return this.#found.length
  }

  throwIfAny(): void {
    if (this.#found.length === 0) return
    const sorted = [...this.#found].sort((a, b) => a.offset - b.offset)
    throw new InventoryError(sorted.map((p) => p.line))
  }
}
