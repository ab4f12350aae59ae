// The ConsoleSite construct on its own, and its deployment role held against the role
// aws-cdk-lib would create: ours replaces CDK's, so a CDK upgrade that changes what its
// BucketDeployment handler is granted must fail here and be reviewed.
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Distribution } from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConsoleSite } from '../../infra/constructs/console-site.ts';

/**
 * Actions CDK's own deployment role holds that ours leaves out, and why the handler
 * (aws-s3-deployment/bucket-deployment-handler/index.py) never needs them here.
 */
const LEFT_OUT: Record<string, string> = {
  's3:GetBucket*': 'the handler reads bucket tags (GetBucketTagging) only when deleting with retainOnDelete: false; the console keeps the default',
  's3:PutObjectLegalHold': 'aws s3 sync sets no object lock',
  's3:PutObjectRetention': 'aws s3 sync sets no object lock',
  's3:PutObjectTagging': 'aws s3 sync sets no object tags',
  's3:PutObjectVersionTagging': 'the bucket is not versioned and sync sets no tags',
  's3:Abort*': 'multipart uploads: the page files (tens of KiB) are far below the CLI\'s 8 MB multipart threshold',
};

const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];

const siteDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-site-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  return dir;
};

const props = (dir: string) => ({ environment: 'test', siteDir: dir, removalPolicy: RemovalPolicy.DESTROY, logRetention: RetentionDays.ONE_DAY });

const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

function policyActions(template: Template): string[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: any) =>
    (p.Properties.PolicyDocument.Statement as any[]).flatMap((st) => [st.Action].flat()));
}

describe('ConsoleSite', () => {
  let ours: string[];
  let cdks: string[];
  let cdkManagedPolicies: unknown[];

  beforeAll(() => {
    const app = new App();
    const dir = siteDir();

    const mine = new Stack(app, 'Ours');
    new ConsoleSite(mine, 'Console', props(dir)).deployPage({ apiBase: 'https://api.example.com' });

    const reference = new Stack(app, 'CdkDefault');
    const bucket = new Bucket(reference, 'Bucket');
    const distribution = new Distribution(reference, 'Distribution', { defaultBehavior: { origin: S3BucketOrigin.withOriginAccessControl(bucket) } });
    new BucketDeployment(reference, 'Deploy', { sources: [Source.asset(dir)], destinationBucket: bucket, distribution });

    ours = policyActions(Template.fromStack(mine));
    const cdk = Template.fromStack(reference);
    cdks = [...new Set(policyActions(cdk))];
    cdkManagedPolicies = Object.values(cdk.findResources('AWS::IAM::Role')).flatMap((r: any) => r.Properties.ManagedPolicyArns ?? []);
  }, 60_000);

  it('grants its deployment role nothing that CDK\'s own role would not hold', () => {
    for (const action of ours.filter((a) => !LOGS.includes(a))) {
      expect(cdks.some((pattern) => glob(pattern).test(action)), action).toBe(true);
    }
  });

  it('leaves out of CDK\'s grants only what the handler never calls here', () => {
    const missing = cdks.filter((pattern) => !ours.some((action) => glob(pattern).test(action)));
    expect(missing.sort()).toEqual(Object.keys(LEFT_OUT).sort());
    // CDK's role logs through AWSLambdaBasicExecutionRole; ours writes to its own log group only.
    expect(JSON.stringify(cdkManagedPolicies)).toContain('AWSLambdaBasicExecutionRole');
    expect(ours).toEqual(expect.arrayContaining(LOGS));
  });

  it('refuses a site directory without a built index.html', () => {
    const stack = new Stack(new App(), 'S');
    expect(() => new ConsoleSite(stack, 'Console', props(mkdtempSync(join(tmpdir(), 'tessera-empty-'))))).toThrow(/has no index.html/);
  });

  it('deploys the page once', () => {
    const site = new ConsoleSite(new Stack(new App(), 'S'), 'Console', props(siteDir()));
    site.deployPage({ apiBase: 'https://api.example.com' });
    expect(() => site.deployPage({ apiBase: 'https://api.example.com' })).toThrow(/once/);
  });
});
