// CloudWatch Logs' subscription envelope, both ways: what a subscription filter hands a Lambda
// (`{awslogs: {data}}`, data = base64(gzip(JSON))) and how it is read. The local runtime encodes
// with the same function the usage handler decodes with, so the two cannot disagree on the shape.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { CloudWatchLogsDecodedData, CloudWatchLogsEvent, CloudWatchLogsLogEvent } from 'aws-lambda';

export type { CloudWatchLogsDecodedData, CloudWatchLogsLogEvent };

export function encodeLogsEvent(data: CloudWatchLogsDecodedData): CloudWatchLogsEvent {
  return { awslogs: { data: gzipSync(JSON.stringify(data)).toString('base64') } };
}

/** The decoded batch, or undefined when the event is not a subscription delivery. */
export function decodeLogsEvent(event: unknown): CloudWatchLogsDecodedData | undefined {
  const data = (event as { awslogs?: { data?: unknown } } | null)?.awslogs?.data;
  if (typeof data !== 'string') return undefined;
  try {
    const decoded = JSON.parse(gunzipSync(Buffer.from(data, 'base64')).toString('utf8')) as CloudWatchLogsDecodedData;
    return decoded && typeof decoded === 'object' && Array.isArray(decoded.logEvents) ? decoded : undefined;
  } catch {
    return undefined;
  }
}
