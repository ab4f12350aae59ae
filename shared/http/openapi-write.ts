// npm run openapi: writes docs/openapi.json (a test checks it matches the code).
import { mkdirSync, writeFileSync } from 'node:fs';
import { openApiDocument } from './openapi.ts';

mkdirSync('docs', { recursive: true });
writeFileSync('docs/openapi.json', JSON.stringify(openApiDocument(), null, 2) + '\n');
console.log('wrote docs/openapi.json');
