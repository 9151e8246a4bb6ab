/** Exit codes, as Ansible's: 0 ok, 2 some host failed, 4 some host unreachable, 5 bad input or usage, 1 anything else. */
export const ExitCode = { ok: 0, error: 1, failed: 2, unreachable: 4, input: 5 } as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** An error the user can act on; `main.ts` prints its message (no stack) and exits with `code`. */
export class ExitError extends Error {
  constructor(
    message: string,
    readonly code: ExitCode = ExitCode.error,
  ) {
    super(message)
    this.name = 'ExitError'
  }
}

/** Bad input or usage: nothing was done. */
export class InputError extends ExitError {
  constructor(message: string) {
    super(message, ExitCode.input)
    this.name = 'InputError'
  }
}
