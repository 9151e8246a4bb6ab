/** meshvm's version (package.json's; a test keeps the two equal), in `--version`, reports and events. */
export const MESHVM_VERSION = '0.1.0'

/**
 * Version of the report file and NDJSON event schema (README "Reports and events"). Bumped when a field changes
 * meaning or goes away; new fields may appear without a bump.
 */
export const SCHEMA_VERSION = 1
