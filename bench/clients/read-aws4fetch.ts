// One token read through aws4fetch's AwsClient, for the client comparison.
import { getConfig } from '../../shared/config.ts';
import { readToken } from '../../shared/store/reads.ts';
import { aws4fetchReads } from './aws4fetch-reads.ts';

getConfig();
export const handler = (event: { tokenId: string }) => readToken(aws4fetchReads, event.tokenId, false);
