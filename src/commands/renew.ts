import { ExitCode } from '../errors.js'
import { renewVms } from '../fleet/renew.js'
import { parseArgs, type FlagSpec } from './args.js'
import { clusterOptions, istioVersionFlag } from './cluster-flags.js'
import type { CommandContext } from './context.js'
import { becomePassword, fleetFlags, fleetOptions, fleetVms, limitFlag } from './fleet-flags.js'
import { printJobIfAsked } from './job-flags.js'
import { commandHelp } from './help.js'
import { cronJobManifest, systemdUnits, unattendedFlags, unattendedSettings } from './renew-unattended.js'

const flags: Record<string, FlagSpec> = {
  ...fleetFlags,
  ...unattendedFlags,
}

const help = commandHelp(
  'meshvm renew -i INVENTORY [flags]   |   meshvm renew --print-cronjob | --print-systemd',
  flags,
  [
    'meshvm renew -i inventory/example.yaml',
    'meshvm renew -i inventory/example.yaml --check --diff',
    'meshvm renew -i inventory/example.yaml --output json',
    'meshvm renew --print-cronjob --namespace meshvm --schedule "*/5 * * * *" > meshvm-renew.yaml',
    'meshvm renew --print-systemd --inventory /etc/meshvm/inventory.yaml',
  ],
)

/** Brings every VM back to what onboarding would give it now; a run with nothing to do prints one line. */
export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const { flags: f } = parseArgs(argv, flags)
  if (f.help) {
    ctx.stdout.write(help)
    return ExitCode.ok
  }
  if (await printJobIfAsked('renew', argv, flags, ctx, limitFlag(f, ctx))) return ExitCode.ok
  if (f['print-cronjob'] || f['print-systemd']) {
    const settings = unattendedSettings(f)
    ctx.stdout.write(f['print-cronjob'] ? cronJobManifest(settings) : systemdUnits(settings))
    return ExitCode.ok
  }
  const options = {
    ...fleetOptions(f, ctx),
    cluster: clusterOptions(f, ctx.env),
    istioVersion: istioVersionFlag(f),
    wholeFleet: f.limit === undefined,
    quiet: f.output === undefined && f.verbose !== true,
  }
  const vms = await fleetVms(f, ctx)
  return (await renewVms(options, ctx, vms, await becomePassword(f, ctx))).code
}
