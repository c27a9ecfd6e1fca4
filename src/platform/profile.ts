// The Kubernetes *restricted* pod security profile as container settings: the platform runs functions
// this way (IMG-RESTRICTED), so everything that runs a function image here does too.
import type { ContainerSpec } from '../engine/types.js';

export const RESTRICTED_PROFILE: Readonly<Pick<ContainerSpec, 'readOnlyRootfs' | 'tmpfs' | 'capDrop' | 'securityOpt'>> = Object.freeze({
  readOnlyRootfs: true,
  tmpfs: { '/tmp': 'rw,size=64m' },
  capDrop: ['ALL'],
  securityOpt: ['no-new-privileges'],
});
