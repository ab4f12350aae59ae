// npm run openapi: writes openapi.json at the repository root.
import { writeFileSync } from 'node:fs';
import { openApiDocument } from './openapi.ts';

writeFileSync('openapi.json', JSON.stringify(openApiDocument(), null, 2) + '\n');
console.log('wrote openapi.json');
