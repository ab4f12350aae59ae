// The demo tenant, seeded through the local bus as the identity system would send it. Repeats
// on restart are harmless (same versions).
import type { LocalBus } from './bus.ts';

export const DEMO_USERS = [
  { tenantId: 'acme', userId: 'alice', role: 'admin', authMethod: 'password', email: 'alice@acme.example' },
  { tenantId: 'acme', userId: 'bob', role: 'analyst', authMethod: 'password', email: 'bob@acme.example' },
  { tenantId: 'acme', userId: 'carol', role: 'read_only', authMethod: 'password', email: 'carol@acme.example' },
  { tenantId: 'acme', userId: 'erin', role: 'global_admin', authMethod: 'password', email: 'erin@acme.example' },
  { tenantId: 'acme', userId: 'dave', role: 'analyst', authMethod: 'sso', email: 'dave@acme.example' },
  { tenantId: 'globex', userId: 'gina', role: 'admin', authMethod: 'password', email: 'gina@globex.example' },
] as const;

export async function seedDemo(bus: LocalBus): Promise<void> {
  for (const u of DEMO_USERS) {
    await bus.deliver('UserChanged', { ...u, version: 1, status: 'active' });
  }
}
