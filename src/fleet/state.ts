import { join } from 'node:path'

/** meshvm's own files in the directory it runs in: the last report and the failed list. */
export const stateDir = (cwd: string) => join(cwd, '.meshvm')

/** Where `--limit @failed` finds the VMs to resume: written after every run that had failures. */
export const failedListFile = (cwd: string) => join(stateDir(cwd), 'failed')

export const lastRunReport = (cwd: string) => join(stateDir(cwd), 'last-run.json')

/** A rollout in progress (`meshvm upgrade`): its target and the VMs done, so a re-run continues it. */
export const upgradeStateFile = (cwd: string) => join(stateDir(cwd), 'upgrade.json')
