// GET /example/events: an example API route that requires events:read (checked by the authorizer).
import type { APIGatewayProxyEventV2WithLambdaAuthorizer, APIGatewayProxyResultV2 } from 'aws-lambda';

export async function handler(event: APIGatewayProxyEventV2WithLambdaAuthorizer<Record<string, string>>): Promise<APIGatewayProxyResultV2> {
  const { tenantId } = event.requestContext.authorizer.lambda;
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenantId, events: [{ id: 'evt_demo_1', type: 'attack.blocked', at: '2026-01-01T00:00:00.000Z' }] }),
  };
}
