// For the bundle what-if in bench/bundle.ts only (BENCHMARKS.md): Lambda gives a function its
// credentials in environment variables, so the SDK's default Node chain (profiles, SSO, process,
// web identity, IMDS, and the STS/SSO clients they bring) is never used there. An esbuild alias
// of @aws-sdk/credential-provider-node to this module shows what the bundle would weigh without it.
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
