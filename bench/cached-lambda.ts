// Cached verification as in Lambda, where AWS_LAMBDA_FUNCTION_NAME is set and every verification
// writes its CloudWatch EMF metric lines to stdout. Run by bench/run.ts in a child process (the
// metrics module reads the variable at load) with stdout discarded; reports over IPC.
import './env.ts';
import { authorizerEvent } from './events.ts';

const value = process.env.BENCH_VALUE!;
const rounds = Number(process.env.BENCH_ROUNDS);
const ops = Number(process.env.BENCH_OPS);
const { handler } = await import('../functions/authorizer.ts');
const event = authorizerEvent(value);

async function round(n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const out = (await handler(event)) as { isAuthorized: boolean };
    if (!out.isAuthorized) throw new Error('cached verification denied');
  }
  return n / ((performance.now() - t0) / 1000);
}

await round(ops / 5);
const rates: number[] = [];
for (let r = 0; r < rounds; r++) rates.push(await round(ops));
process.send!({ rates });
process.disconnect();
