// Every local server listens on 127.0.0.1 only; port 0 picks a free one.
import type { AddressInfo, Server } from 'node:net';

export async function listenLocal(server: Server, port = 0): Promise<{ port: number; endpoint: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return { port: bound, endpoint: `http://127.0.0.1:${bound}` };
}
