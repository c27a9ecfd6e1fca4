// The engine module's public surface. Everything else in the toolchain imports from here.
export { connectEngine, engineTarget, DEFAULT_SOCKET } from './connect.js';
export type { ConnectOptions, EngineTarget } from './connect.js';
export { LABEL_MANAGED, LABEL_OWNER, LABEL_PURPOSE, managedLabels, ownerId } from './labels.js';
export { onInterrupt, reapOrphans, removeOwnContainers } from './reaper.js';
export type * from './types.js';
export { pairLayersWithHistory } from './layers.js';
