// The console page (web/dist) as a static site: a private S3 bucket that only CloudFront reads
// (origin access control), security headers set by CloudFront, and a deployment that uploads the
// built page with a config.json pointing it at this environment's management API.
import { Aws, Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SingletonFunction, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source, type ISource, type SourceConfig } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { acknowledge } from '../nag.ts';

export interface ConsoleSiteProps {
  /** The environment name, shown in the page's header (config.json `environment`). */
  readonly environment: string;
  /** The built page: web/dist after buildWeb() (infra/build.ts builds it before synth). */
  readonly siteDir: string;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: RetentionDays;
}

/** What the page reads at start (web/src/config.ts). */
export interface ConsolePageConfig {
  /** The management API's base URL (HttpApi.apiEndpoint). */
  readonly apiBase: string;
}

/**
 * Files of web/dist that are not part of the page: the staleness check's input list, and the
 * temporary files of a build that another process may be writing at the same moment.
 */
export const SITE_EXCLUDE = ['.inputs.json', '*.tmp'];

/**
 * Where the page may send requests. The exact API URL cannot be named here: the API's CORS names
 * the distribution's domain, the distribution names this policy, and CloudFormation allows no
 * cycle; so the header allows this region's API Gateway endpoints, and config.json names the
 * one API the page actually calls.
 */
export const consoleCsp = () =>
  [
    "default-src 'self'",
    `connect-src 'self' https://*.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`,
    "img-src 'self' data:",
    "style-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');

export class ConsoleSite extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  readonly headers: ResponseHeadersPolicy;
  /** `https://<distribution domain>`: the page's origin, for the management API's CORS. */
  readonly origin: string;
  /** Set by deployPage(): the upload and its role, the one role outside TesseraFunction. */
  deployment?: BucketDeployment;
  deployRole?: Role;
  private readonly props: ConsoleSiteProps;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);
    this.props = props;
    if (!existsSync(join(props.siteDir, 'index.html'))) {
      throw new Error(`${props.siteDir} has no index.html: build the console page first (buildApp() does; so does npm run build:web).`);
    }

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: false,
      // No autoDeleteObjects: it would add a second custom-resource Lambda with its own role
      // and a wildcard bucket policy. Empty the bucket before deleting a dev or staging stack
      // (README, Deploy); prod retains it.
      removalPolicy: props.removalPolicy,
    });
    acknowledge(this.bucket, 'AwsSolutions-S1',
      'The bucket holds only the built console page (four public files, no user data) and is read only by CloudFront through origin access control; every data access is logged by the management API instead.');

    this.headers = new ResponseHeadersPolicy(this, 'Headers', {
      comment: `Tessera ${props.environment} console: CSP, HSTS, nosniff, no referrer, no framing`,
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: consoleCsp(), override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
      },
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: `Tessera ${props.environment}: API tokens console`,
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        // Every object says Cache-Control: no-cache (deployPage); with it this policy keeps an
        // edge copy for its 1-second minimum TTL only, so the edge revalidates as browsers do.
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.headers,
        compress: true,
      },
    });
    this.origin = `https://${this.distribution.distributionDomainName}`;

    acknowledge(this.distribution, 'AwsSolutions-CFR1',
      'The page is static and holds nothing secret; it is used by a tenant\'s staff wherever they are, and every data call goes to the JWT-protected API, so a country list would block people and protect nothing.');
    acknowledge(this.distribution, 'AwsSolutions-CFR2',
      'A web ACL (about $5 a month plus per-request fees per environment) would guard four static files; the attack surface is the management API, which verifies a JWT on every call and is throttled per stage.');
    acknowledge(this.distribution, 'AwsSolutions-CFR3',
      'Standard logging needs a second bucket with ACLs enabled; requests for the static page carry no token or user data (the token goes only to the API, whose JSON access log records every call).');
    acknowledge(this.distribution, 'AwsSolutions-CFR4',
      'Without a custom domain the distribution uses the *.cloudfront.net certificate, whose policy cannot be raised; current browsers refuse TLS 1.0/1.1 anyway. A console domain with an ACM certificate and TLSv1.2_2021 is the production setup.');
  }

  /**
   * Uploads the page and its config.json, then invalidates the distribution. Called once the API
   * exists: the deployment depends on the API (config.json names it) and nothing points back.
   *
   * The upload runs in aws-cdk-lib's BucketDeployment Lambda, with a role of our own: CDK's
   * default grants s3:GetObject*, s3:List*, s3:DeleteObject*, s3:PutObject*, s3:Abort* on the
   * whole asset bucket (every asset of the account) and the site bucket, CloudFront invalidations
   * on "*", and AWSLambdaBasicExecutionRole. This role holds what the handler calls and no more:
   * GetObject on this deployment's two source zips, list/put/delete in the site bucket (aws s3 sync
   * --delete), invalidations of this distribution, and writes to its own log group.
   */
  deployPage(config: ConsolePageConfig): BucketDeployment {
    if (this.deployment) throw new Error(`${this.node.path}: deployPage may be called once`);
    const { environment, siteDir, removalPolicy, logRetention } = this.props;

    const role = (this.deployRole = new Role(this, 'DeployRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Tessera ${environment}: uploads the console page to its bucket and invalidates the distribution`,
    }));
    const logs = new LogGroup(this, 'DeployLogs', { retention: logRetention, removalPolicy });
    logs.grantWrite(role);

    // Grants that CDK would add (to the sources and the bucket) are dropped: the statements below
    // are the whole policy. Binding the sources here tells us the exact asset objects to allow.
    const handlerRole = role.withoutPolicyUpdates();
    const bound: SourceConfig[] = [
      Source.asset(siteDir, { exclude: SITE_EXCLUDE }),
      Source.jsonData('config.json', { apiBase: config.apiBase, localSignIn: false, environment }),
    ].map((source) => source.bind(this, { handlerRole }));
    role.addToPrincipalPolicy(new PolicyStatement({
      sid: 'ReadSources',
      actions: ['s3:GetObject'],
      resources: bound.map((s) => s.bucket.arnForObjects(s.zipObjectKey)),
    }));
    role.addToPrincipalPolicy(new PolicyStatement({ sid: 'ListSite', actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }));
    role.addToPrincipalPolicy(new PolicyStatement({ sid: 'WriteSite', actions: ['s3:PutObject', 's3:DeleteObject'], resources: [this.bucket.arnForObjects('*')] }));
    role.addToPrincipalPolicy(new PolicyStatement({
      sid: 'Invalidate',
      actions: ['cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation'],
      resources: [this.distribution.distributionArn],
    }));

    const deployment = (this.deployment = new BucketDeployment(this, 'Deploy', {
      sources: bound.map((source): ISource => ({ bind: () => source })),
      destinationBucket: this.bucket,
      // app.js and styles.css keep their names from build to build, so every file revalidates
      // (a 304 for 37 KiB of page) and a deploy invalidates them all: an edge must never serve a
      // new index.html with an old app.js. config.json is fetched with no-store besides.
      cacheControl: [CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: ['/*'],
      role: handlerRole,
      logGroup: logs,
    }));
    // The immutable role hides the policy from CDK's ordering: upload only once it is attached.
    deployment.node.addDependency(role);

    const stack = Stack.of(this);
    const bucketId = stack.resolve(stack.getLogicalId(this.bucket.node.defaultChild as CfnBucket)) as string;
    acknowledge(role, `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`,
      'The deployment mirrors the whole page into this bucket (aws s3 sync --delete puts new files and deletes removed ones), so it writes any key of this one bucket, which holds nothing but the page.');
    const singleton = deployment.node.children.find((c): c is SingletonFunction => c instanceof SingletonFunction);
    if (!singleton) throw new Error('BucketDeployment no longer creates a SingletonFunction; review the console deployment.');
    const handler = stack.node.findChild(singleton.constructName) as LambdaFunction;
    acknowledge(handler, 'AwsSolutions-L1',
      'The runtime of the BucketDeployment handler is set by aws-cdk-lib (python3.13 in 2.276) with no option to change it; it runs only while CloudFormation deploys the page, never on a request path, and moves with CDK upgrades.');
    return deployment;
  }
}
