// Builds each environment's stack once per test file and shares it: the same buildApp() as
// infra/app.ts (cdk.json context, cdk-nag registered), synthesized once. Bundling is skipped
// here (bundling.test.ts builds the real bundles once), so a template costs about a second.
import { Template } from 'aws-cdk-lib/assertions';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type Built } from '../../infra/build.ts';
import type { EnvironmentName } from '../../infra/environments.ts';

export interface Synthesized extends Built {
  readonly template: Template;
  /** The raw template, for scans over every resource. */
  readonly json: { Resources: Record<string, CfnResource>; Outputs?: Record<string, { Value: unknown }> };
}

export interface CfnResource {
  Type: string;
  Properties?: Record<string, any>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

const built = new Map<string, Synthesized>();
let outdir: string | undefined;

/** A shared output folder lets CDK reuse staged assets across the three apps of one process. */
export const sharedOutdir = () => (outdir ??= mkdtempSync(join(tmpdir(), 'tessera-infra-')));

export async function synthEnv(env: EnvironmentName, options: { bundle?: boolean; context?: Record<string, unknown> } = {}): Promise<Synthesized> {
  const key = JSON.stringify([env, options]);
  const hit = built.get(key);
  if (hit) return hit;
  const result = await buildApp({
    env,
    outdir: sharedOutdir(),
    context: { ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }), ...options.context },
  });
  // Synthesizing runs the validation plugins (cdk-nag): a finding nobody acknowledged throws here.
  const assembly = result.app.synth();
  const json = assembly.getStackByName(result.stack.stackName).template;
  const synthesized = { ...result, json, template: Template.fromJSON(json) };
  built.set(key, synthesized);
  return synthesized;
}

export const resourcesOf = (s: Synthesized, type: string) =>
  Object.entries(s.json.Resources).filter(([, r]) => r.Type === type) as [string, CfnResource][];

/** The logical id CDK gave a construct's underlying CloudFormation resource. */
export function logicalId(s: Synthesized, construct: { node: { defaultChild?: unknown } }): string {
  return s.stack.getLogicalId(construct.node.defaultChild as never);
}
