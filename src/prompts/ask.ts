import inquirer, { type DistinctQuestion } from 'inquirer'
import { Secret } from '../secret.js'
import type { Validate } from './wizard-answers.js'

/** One choice of a list question; `disabled` shows it greyed out with the reason. */
export interface Choice<T> {
  name: string
  value: T
  description?: string
  disabled?: boolean | string
}

/** The questions the wizard can ask, bound to one terminal. */
export interface Ask {
  text(message: string, o?: { default?: string; validate?: Validate }): Promise<string>
  select<T>(message: string, choices: Choice<T>[], o?: { default?: T }): Promise<T>
  /** Type to filter `existing` or to name a new one (`validate` checks it as it is typed); Enter alone: `first`. */
  pick(message: string, existing: string[], o: { first: string; what: string; validate: Validate }): Promise<string>
  secret(message: string): Promise<Secret>
  confirm(message: string, o?: { default?: boolean }): Promise<boolean>
}

/** Ctrl-C at a prompt: inquirer rejects with ExitPromptError (matched by name: @inquirer/core is not a dependency). */
export const isPromptCancel = (e: unknown): boolean => e instanceof Error && e.name === 'ExitPromptError'

export function askOn(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Ask {
  const prompt = inquirer.createPromptModule({ input, output })
  const one = async <T>(question: Record<string, unknown>): Promise<T> => {
    const answers = await prompt([{ ...question, name: 'value' } as DistinctQuestion])
    return (answers as { value: T }).value
  }
  return {
    text: (message, o = {}) => {
      const validate = o.validate && ((v: string) => o.validate!(v.trim()))
      return one<string>({ type: 'input', message, default: o.default, validate }).then((v) => v.trim())
    },
    pick: (message, existing, o) =>
      one({ type: 'search', message, source: (term?: string) => pickChoices(term?.trim() ?? '', existing, o) }),
    select: (message, choices, o = {}) => one({ type: 'select', message, choices, default: o.default, loop: false }),
    secret: async (message) => new Secret(await one<string>({ type: 'password', message, mask: '*' })),
    confirm: (message, o = {}) => one<boolean>({ type: 'confirm', message, default: o.default ?? true }),
  }
}

type PickOptions = Parameters<Ask['pick']>[2]

function pickChoices(term: string, existing: string[], o: PickOptions): Choice<string>[] {
  const label = (name: string) => (existing.includes(name) ? name : `${name} (new ${o.what})`)
  if (term === '') return [o.first, ...existing.filter((n) => n !== o.first)].map((n) => ({ name: label(n), value: n }))
  const matches = existing.filter((n) => n !== term && n.includes(term)).map((n) => ({ name: n, value: n }))
  const valid = o.validate(term)
  const typed =
    valid === true ? { name: label(term), value: term } : { name: term, value: term, disabled: `✗ ${valid}` }
  return [typed, ...matches]
}
