// npm start: the embedded default on 127.0.0.1:$PORT (default 3000).
// Quiet by default: the logger reads its level when first imported, so set it before.
process.env.TESSERA_LOG_LEVEL ??= 'WARN';
// DynamoDB's index lag, emulated (local/consistency.ts): a list right after a create may miss it, as on AWS.
process.env.TESSERA_LOCAL_GSI_LAG_MS ??= '300';
// Node 20 is supported by the pinned SDK; the notice is about releases after January 2027.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { startLocal } = await import('./app.ts');
const { StoreLockedError } = await import('./store.ts');

const port = Number(process.env.PORT ?? 3000);
const memory = process.env.TESSERA_STORE === 'memory';
// 'inline' runs every handler in this process (no execution environments): for debugging only.
const environments = process.env.TESSERA_LOCAL_ENVIRONMENTS === 'inline' ? 'inline' : 'isolated';

try {
  const app = await startLocal({ port, store: memory ? 'memory' : 'disk', dataDir: process.env.TESSERA_DATA_DIR, environments });
  const u = app.url;
  console.log(`
Tessera is running at ${u}  (store: ${memory ? 'in memory' : 'on disk under ' + (process.env.TESSERA_DATA_DIR ?? '.tessera/')})
Console page: ${u}/   Demo tenant "acme": alice (admin), erin (global_admin), bob (analyst), carol (read_only), dave (SSO); tenant "globex": gina (admin)

Try it:
  JWT=$(curl -s -X POST ${u}/_local/login -H 'content-type: application/json' -d '{"tenantId":"acme","userId":"bob"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).accessToken')
  curl -s ${u}/v1/me -H "authorization: Bearer $JWT"
  VALUE=$(curl -s -X POST ${u}/v1/tokens -H "authorization: Bearer $JWT" -H 'content-type: application/json' -d '{"name":"ci","permissions":["events:read"]}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).value')
  curl -s ${u}/example/whoami -H "authorization: Bearer $VALUE"
  curl -s ${u}/v1/tokens -H "authorization: Bearer $JWT"

Press Ctrl-C to stop.`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    await app.close();
    process.exit(0);
  };
  const onSignal = () => {
    stop().catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
} catch (e) {
  if (e instanceof StoreLockedError) {
    console.error(`tessera: ${e.message}`);
    process.exit(1);
  }
  if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`tessera: port ${port} is in use. Set PORT=<other port>.`);
    process.exit(1);
  }
  throw e;
}
export {};
