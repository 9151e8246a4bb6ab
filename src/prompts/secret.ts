import inquirer from 'inquirer'
import { InputError } from '../errors.js'
import { Secret } from '../secret.js'

/** Asks for a secret on the command's terminal (input hidden); refuses without a TTY instead of hanging. */
export async function askSecret(
  message: string,
  input: NodeJS.ReadableStream & { isTTY?: boolean },
  output: NodeJS.WritableStream,
): Promise<Secret> {
  if (!input.isTTY) throw new InputError(`${message}: no terminal to ask on (stdin is not a TTY)`)
  const prompt = inquirer.createPromptModule({ input, output })
  const { value } = await prompt<{ value: string }>([{ type: 'password', name: 'value', message, mask: false }])
  return new Secret(value)
}
