// npm run hub-server: a local server that answers as the Hugging Face hub does (scripts/lib/hub-server.ts), serving
// the test checkpoints (random weights, the hub's exact layout) as `sparring/<name>`, so the page's model picker
// can be tried without network: open the page with `?hub=http://127.0.0.1:<port>` and pick "Another hub model",
// e.g. sparring/tiny-llama-chat. --gated makes `sparring/gated-<name>` copies that need the given token.

import { runMain, type FlagSpec } from './lib/cli.ts';
import { FIXTURE_NAMES, fixtureFolder, type FixtureName } from './lib/hub-fixtures.ts';
import { LocalHub, type HubRepoSpec } from './lib/hub-server.ts';

const FLAGS: Record<string, FlagSpec> = {
  port: { kind: 'number', help: 'port to listen on', default: 8088 },
  models: { kind: 'string', help: `test checkpoints to serve, comma-separated (${FIXTURE_NAMES.join(', ')})`, default: 'tiny-gpt2,tiny-llama-chat,tiny-llama-sp,tiny-qwen2-chat' },
  gated: { kind: 'string', help: 'also serve gated copies that this token may read' },
  'bytes-per-second': { kind: 'number', help: 'pace every file body (0: as fast as it goes)', default: 0 },
  help: { kind: 'boolean', help: 'show this help' },
};

await runMain('hub-server', FLAGS, async (f) => {
  const names = (f.models as string).split(',').map((n) => n.trim()) as FixtureName[];
  const unknown = names.filter((n) => !FIXTURE_NAMES.includes(n));
  if (unknown.length) throw new Error(`unknown test checkpoint ${unknown.join(', ')}; they are ${FIXTURE_NAMES.join(', ')}`);
  const repos: HubRepoSpec[] = [];
  for (const name of names) {
    const files = fixtureFolder(name);
    repos.push({ id: `sparring/${name}`, files });
    if (f.gated) repos.push({ id: `sparring/gated-${name}`, files, gatedTokens: [f.gated as string] });
  }
  const hub = new LocalHub(repos);
  hub.bytesPerSecond = f['bytes-per-second'] as number;
  const address = await hub.start(f.port as number);
  console.log(`A local hub serves ${repos.map((r) => r.id).join(', ')} at ${address}`);
  console.log(`Open Sparring with ?hub=${address} to download from it.`);
});
