// The one zod every module validates with: zod/mini, a fraction of full zod's start-up cost (issue 16:
// full zod, through its namespace object, also brought every one of its locales, 366 KB of 665 KB
// compiled at each start), with zod's English messages set before any schema runs.
// Import it as a namespace (`import * as z from '…/zod.js'`): what is not used is left out of
// the bundle.
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
