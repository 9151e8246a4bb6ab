import { basename } from 'node:path'
import { InputError } from '../errors.js'
import { jobManifest, JOB_PATHS } from '../fleet/job-manifest.js'
import { limitTerms, readInventory } from '../inventory/read.js'
import { parseArgs, type FlagSpec, type FlagValues } from './args.js'
import type { CommandContext } from './context.js'

/** Flags of `--print-job` (every fleet command has them). */
export const jobFlags: Record<string, FlagSpec> = {
  'print-job': {
    type: 'boolean',
    help: 'print a Kubernetes Indexed Job (and its RBAC) that runs this command in --shards pods, then exit',
  },
  image: { type: 'string', help: 'with --print-job: the container image that has meshvm (default meshvm:0.1.0)' },
  'job-namespace': {
    type: 'string',
    help: 'with --print-job: namespace of the Job and its ServiceAccount (default meshvm)',
  },
}

// Flags whose controller-side value means nothing in a pod: it uses in-cluster config, a report on stdout and on the
// data volume, and plain progress lines for `kubectl logs`.
const replacedInPod = new Set([
  'print-job',
  'image',
  'job-namespace',
  'shards',
  'kubeconfig',
  'context',
  'report',
  'output',
  'help',
])
const refusedInPod: Record<string, string> = {
  shard: 'the Job gives each pod its shard: use --shards N',
  'ask-become-pass': 'a pod has no terminal: put the password in the Secret as become-password',
  'ssh-config': 'put the ssh_config in the Secret as "config" (the pod reads ~/.ssh/config)',
  'accept-new-host-keys': "the pod's known_hosts comes read-only from the Secret: add the keys to it first",
  vagrant: 'vagrant runs on this machine, not in the cluster',
  interactive: 'a pod cannot ask questions',
}

function podArgs(flags: FlagValues, given: Set<string>, specs: Record<string, FlagSpec>, limit?: string): string[] {
  const args: string[] = []
  for (const name of Object.keys(specs).filter((n) => given.has(n))) {
    if (refusedInPod[name])
      throw new InputError(`--print-job: --${name} cannot go into the Job (${refusedInPod[name]})`)
    if (replacedInPod.has(name)) continue
    const value =
      name === 'limit' ? limit : name === 'inventory' || name === 'playbook' ? podPath(flags[name]) : flags[name]
    for (const v of Array.isArray(value) ? value : [value]) args.push(`--${name}=${v}`)
  }
  return args
}

const podPath = (file: unknown) => `${JOB_PATHS.inputs}/${basename(String(file))}`

/**
 * `meshvm <command> ... --print-job --shards N`: prints the manifest of an Indexed Job whose pods run the same command
 * with the same flags, each on its shard; `--limit @file` is resolved here, since the pods cannot read this machine.
 * Returns false when --print-job was not given.
 */
export async function printJobIfAsked(
  command: string,
  argv: string[],
  specs: Record<string, FlagSpec>,
  ctx: CommandContext,
  limit: string | undefined,
): Promise<boolean> {
  const { flags: f, given, positionals } = parseArgs(argv, specs)
  if (!f['print-job']) return false
  const shards = f.shards as number | undefined
  if (shards === undefined || !Number.isInteger(shards) || shards < 1 || shards > 1000) {
    throw new InputError('--print-job needs --shards N (1-1000): the number of pods')
  }
  if (!f.inventory) throw new InputError("--print-job needs -i INVENTORY: its file goes into the Job's ConfigMap")
  // checked here as a run would check it, so a typo fails now rather than in every pod
  await readInventory(String(f.inventory), { limit })
  const terms =
    limit === undefined
      ? undefined
      : (await limitTerms(limit)).flatMap((t) => (typeof t === 'string' ? [t] : t.listed)).join(',')
  // positionals are files too (`meshvm run PLAYBOOK`)
  const inputs = [f.inventory, f.playbook, ...positionals].filter((x): x is string => typeof x === 'string')
  ctx.stdout.write(
    jobManifest({
      command,
      args: [...positionals.map(podPath), ...podArgs(f, given, specs, terms)],
      shards,
      image: (f.image as string | undefined) ?? 'meshvm:0.1.0',
      namespace: (f['job-namespace'] as string | undefined) ?? 'meshvm',
      inputs,
    }),
  )
  return true
}
