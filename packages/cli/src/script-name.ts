/**
 * The command as the user types it, for usage lines, examples and messages that name a command:
 * a launcher says how it was invoked (the workspace's `pnpm dualfit`, the bundle's `./dualfit`),
 * else `dualfit` (an installed package's bin).
 */
export const SCRIPT_NAME = process.env.DUALFIT_SCRIPT_NAME?.trim() || 'dualfit'
