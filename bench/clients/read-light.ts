// One token read through the authorizer's light client (SigV4 on node:crypto, node:http), for the
// client comparison.
import { getConfig } from '../../shared/config.ts';
import { readToken } from '../../shared/store/reads.ts';
import { lightReads } from '../../shared/store/transport-light.ts';

getConfig();
export const handler = (event: { tokenId: string }) => readToken(lightReads, event.tokenId, false);
