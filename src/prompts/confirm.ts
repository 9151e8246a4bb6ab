import inquirer from 'inquirer'

/** A yes/no question on the command's terminal; no is the default. */
export async function confirm(
  message: string,
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
): Promise<boolean> {
  const prompt = inquirer.createPromptModule({ input, output })
  const { ok } = await prompt<{ ok: boolean }>([{ type: 'confirm', name: 'ok', message, default: false }])
  return ok
}
