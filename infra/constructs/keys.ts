// Customer-managed KMS keys with rotation and a key policy that names its actions: the account
// may administer the key and may delegate its use through IAM, where each function's role
// gets only the actions it needs (tessera-function.ts). No `kms:*`.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccountRootPrincipal, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';

/** Key administration, as the AWS KMS default key policy's administrator statement, spelled out. */
export const KEY_ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion', 'kms:CreateAlias', 'kms:CreateGrant', 'kms:DeleteAlias', 'kms:DescribeKey',
  'kms:DisableKey', 'kms:DisableKeyRotation', 'kms:EnableKey', 'kms:EnableKeyRotation', 'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus', 'kms:ListAliases', 'kms:ListGrants', 'kms:ListKeyPolicies', 'kms:ListKeyRotations',
  'kms:ListResourceTags', 'kms:ListRetirableGrants', 'kms:PutKeyPolicy', 'kms:RetireGrant', 'kms:RevokeGrant',
  'kms:RotateKeyOnDemand', 'kms:ScheduleKeyDeletion', 'kms:TagResource', 'kms:UntagResource', 'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
];

/** Cryptographic use the account may delegate through IAM (envelope encryption, DynamoDB SSE). */
export const KEY_USE_ACTIONS = [
  'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
];

export interface TesseraKeyProps {
  readonly description: string;
  readonly alias: string;
  readonly retain: boolean;
}

/** What every Tessera key has: its lifecycle by environment, and a policy naming the actions its use may be delegated for. */
function commonKeyProps(props: TesseraKeyProps, useActions: string[]) {
  const account = new AccountRootPrincipal();
  return {
    description: props.description,
    alias: props.alias,
    removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    pendingWindow: Duration.days(props.retain ? 30 : 7),
    policy: new PolicyDocument({
      statements: [
        new PolicyStatement({ sid: 'AccountAdministersKey', principals: [account], actions: KEY_ADMIN_ACTIONS, resources: ['*'] }),
        new PolicyStatement({ sid: 'AccountDelegatesUseThroughIam', principals: [account], actions: useActions, resources: ['*'] }),
      ],
    }),
  };
}

export function tesseraKey(scope: Construct, id: string, props: TesseraKeyProps): Key {
  return new Key(scope, id, { ...commonKeyProps(props, KEY_USE_ACTIONS), enableKeyRotation: true, rotationPeriod: Duration.days(365) });
}

/** What an HMAC key may be used for: the functions derive the deployment's MAC keys (shared/crypto/mac.ts). */
export const MAC_KEY_USE_ACTIONS = ['kms:GenerateMac', 'kms:VerifyMac'];

/**
 * An HMAC_256 key for the keyed MACs (list cursors, value tags). KMS cannot rotate HMAC keys by
 * itself; they rotate by generations (environments.ts macKeyGenerations): the newest signs, the
 * older ones stay for verification.
 */
export function tesseraMacKey(scope: Construct, id: string, props: TesseraKeyProps): Key {
  const key = new Key(scope, id, {
    ...commonKeyProps(props, MAC_KEY_USE_ACTIONS),
    keySpec: KeySpec.HMAC_256,
    keyUsage: KeyUsage.GENERATE_VERIFY_MAC,
    enableKeyRotation: false,
  });
  acknowledge(key, 'AwsSolutions-KMS5',
    'KMS does not rotate HMAC keys automatically; they rotate by generations (environments.ts macKeyGenerations): the newest signs, older ones keep verifying (README "Keys").');
  return key;
}
