// What every Tessera Lambda bundle gets in place of @aws-sdk/credential-provider-node (the esbuild
// alias in infra/bundling.ts). Bundled code only: the tests, the local runtime and the benchmark's
// in-process figures import the SDK from node_modules with its full default chain.
//
// Why this is correct in Lambda: the runtime puts the function role's credentials in the
// environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) of every execution
// environment, and no Tessera function sets AWS_PROFILE, so the SDK's default chain always ends at
// its first link, fromEnv, with the same credentials this provider returns. The other links (SSO, shared ini files and profiles, credential_process, web identity
// token files, ECS/IMDS endpoints, and the STS/SSO clients they load) are never reached, yet
// esbuild cannot know that and bundles them: about 136 KB of the authorizer's bundle and its import
// time. Every SDK client in shared/ (DynamoDB in shared/store/client.ts, KMS in
// shared/crypto/vault.ts, EventBridge in shared/events/publish.ts) gives no `credentials` in AWS
// and so uses the client's credentialDefaultProvider, the `defaultProvider` exported here.
//
// Why it is NOT for other runs: outside Lambda credentials usually come from a profile, SSO or
// IMDS, which this provider refuses ("Unable to find environment variable credentials"). Nothing
// but the Lambda bundles built by infra/bundling.ts must alias it; a script that needs AWS access
// on a laptop or in CI keeps the SDK's default chain.
//
// fromEnv reads the variables on every call (the SDK may ask before each signed request): a few
// process.env reads, and the values stay as Lambda set them, so there is nothing to memoize.
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
