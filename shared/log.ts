// Structured JSON logs (Powertools Logger) with redaction: no log line may carry a token value,
// a legacy secret, a hash or a ciphertext (SECURITY.md). Redaction happens in the formatter, so it
// covers every call site, including errors and their causes.
import { LogFormatter, LogItem, Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';

const VALUE_PATTERN = /tsr_[0-9A-Za-z]{20,}/g;
const SENSITIVE_KEY = /^(value|secret|hash|prevhash|enc|sealed|authorization|x-api-token|x-api-secret|secretsha256|legacysecretsha256|accesstoken|token|cookie)$/i;
export const REDACTED = '[redacted]';

export function redact(input: unknown, depth = 0): unknown {
  if (typeof input === 'string') return input.replace(VALUE_PATTERN, 'tsr_' + REDACTED);
  if (depth > 8 || input === null || typeof input !== 'object') return input;
  if (input instanceof Error) {
    return { name: input.name, message: redact(input.message, depth + 1) };
  }
  if (Array.isArray(input)) return input.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) out[k] = SENSITIVE_KEY.test(k) && v != null ? REDACTED : redact(v, depth + 1);
  return out;
}

class RedactingFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: redact(attributes.message) as string,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: attributes.lambdaContext?.coldStart,
        function_request_id: attributes.lambdaContext?.awsRequestId,
        xray_trace_id: attributes.xRayTraceId,
      },
    }).addAttributes(redact(additional) as LogAttributes);
  }
  override formatError(error: Error): LogAttributes {
    return redact(super.formatError(error)) as LogAttributes;
  }
}

export const logger = new Logger({
  serviceName: 'tessera',
  logLevel: (process.env.TESSERA_LOG_LEVEL ?? 'INFO') as 'INFO',
  logFormatter: new RedactingFormatter(),
});
