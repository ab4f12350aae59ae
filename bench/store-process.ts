// The embedded store in its own process, so dynalite and the SDK client each get a core (the
// machine has two). Started by bench/store.ts; reports its endpoint over IPC and stops when the
// parent disconnects.
import { startStore } from '../local/store.ts';

const store = await startStore({});
process.send!({ endpoint: store.endpoint });
process.on('disconnect', () => void store.close().finally(() => process.exit(0)));
