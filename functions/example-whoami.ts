// GET /example/whoami: an example API behind the Tessera authorizer; echoes its context.
import type { APIGatewayProxyEventV2WithLambdaAuthorizer, APIGatewayProxyResultV2 } from 'aws-lambda';

export async function handler(event: APIGatewayProxyEventV2WithLambdaAuthorizer<Record<string, string>>): Promise<APIGatewayProxyResultV2> {
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ context: event.requestContext.authorizer.lambda }) };
}
