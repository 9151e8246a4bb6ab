// Istio's naming rules for control-plane revisions, shared by the cluster door and the pure bundle maker.

/** '' and 'default' mean the default (unrevisioned) control plane. */
export const isRevisioned = (revision: string): boolean => revision !== '' && revision !== 'default'

/** `istio` → `istio-<rev>` for a revisioned control plane (ConfigMaps, istiod). */
export const revisioned = (base: string, revision: string): string =>
  isRevisioned(revision) ? `${base}-${revision}` : base
