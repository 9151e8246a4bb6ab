/** The playbooks meshvm ships (playbooks/ at the package root). */
export const builtInPlaybook = (name: 'onboard' | 'verify' | 'offboard' | 'upgrade' | 'rollback' | 'renew'): string =>
  new URL(`../../../playbooks/${name}.yaml`, import.meta.url).pathname
