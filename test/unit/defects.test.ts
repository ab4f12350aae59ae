// AWS's authorization refusals become a deployment defect: 500 INTERNAL without Retry-After, and
// one error line naming the function, the action and the resource.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { authorizationDefect } from '../../shared/defects.ts';
import { DeploymentDefectError, UnavailableError } from '../../shared/errors.ts';
import { errorResponse } from '../../shared/http/respond.ts';
import { logger } from '../../shared/log.ts';
import { storeCall } from '../../shared/store/client.ts';

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });
const DENIED = awsError(
  'AccessDeniedException',
  'User: arn:aws:sts::000000000000:assumed-role/tessera-deleteToken/tessera-dev-deleteToken is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table/tessera-dev because no identity-based policy allows the dynamodb:PutItem action',
);

afterEach(() => vi.restoreAllMocks());

describe('authorization refusals', () => {
  it('answers 500 INTERNAL without Retry-After and logs one error line naming function, action and resource', async () => {
    const error = vi.spyOn(logger, 'error').mockImplementation(() => {});
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => {});
    const thrown = await storeCall(() => Promise.reject(DENIED)).catch((e) => e);
    expect(thrown).toBeInstanceOf(DeploymentDefectError);
    const r = errorResponse(thrown, 'req-1');
    expect(r.statusCode).toBe(500);
    expect(r.headers['retry-after']).toBeUndefined();
    expect(JSON.parse(r.body).error.code).toBe('INTERNAL');
    expect(error).toHaveBeenCalledTimes(1);
    expect(warn).not.toHaveBeenCalled();
    expect(error.mock.calls[0][1]).toMatchObject({
      defect: 'authorization',
      function: 'tessera-dev-deleteToken',
      action: 'dynamodb:PutItem',
      resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/tessera-dev',
    });
  });

  it('treats an unknown access key as a defect too', async () => {
    vi.spyOn(logger, 'error').mockImplementation(() => {});
    const e = awsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
    const d = authorizationDefect(e, 'kms');
    expect(d).toBeInstanceOf(DeploymentDefectError);
    expect(d!.action).toBe('kms:*');
  });

  it('leaves throttling and outages as 503 with Retry-After', async () => {
    const thrown = await storeCall(() => Promise.reject(awsError('ThrottlingException', 'Rate exceeded'))).catch((e) => e);
    expect(thrown).toBeInstanceOf(UnavailableError);
    expect(errorResponse(thrown, 'r').headers['retry-after']).toBe('1');
  });
});
