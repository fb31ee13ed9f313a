// The intake HTTP functions, one per source of shared/intake/sources (SOURCE_LIST): adapters only; verification,
// parsing, receipts and publishing live in shared/intake.
import { getIntakeDeps } from '../shared/intake/runtime';
import { SOURCE_LIST } from '../shared/intake/sources';
import { registerIntakeSources } from './lib/intake';

registerIntakeSources(SOURCE_LIST, getIntakeDeps);
