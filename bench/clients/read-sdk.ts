// One token read through SDK v3 (the management functions' client), for the client comparison.
import { getConfig } from '../../shared/config.ts';
import { readToken } from '../../shared/store/reads.ts';
import { sdkReads } from '../../shared/store/transport-sdk.ts';

getConfig();
export const handler = (event: { tokenId: string }) => readToken(sdkReads, event.tokenId, false);
