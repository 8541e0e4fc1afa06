// npm run score: the token ids of a text under a hub model folder's tokenizer and each token's log-probability given
// the ones before, so a port can be checked against another implementation of the same model (transformers, say).
// The text is encoded as the tokenizer does by default (BOS where its post-processor adds one); the first token has
// no log-probability.

import * as tf from '@tensorflow/tfjs';
import { runMain, UsageError, type FlagSpec } from './lib/cli.ts';
import { startBackend } from './lib/node-env.ts';
import { FolderFiles } from './lib/folder-files.ts';
import { loadHubPolicy } from '../src/core/model/hub-policy.ts';
import { tokenLogProbs } from '../src/core/model/readout.ts';
import { HubCodec } from '../src/core/tokenizer/hub-codec.ts';
import { BACKEND_NAMES, type BackendName } from '../src/core/backend-names.ts';

const FLAGS: Record<string, FlagSpec> = {
  model: { kind: 'string', help: 'a model folder in the hub layout' },
  text: { kind: 'string', help: 'the text to score' },
  backend: { kind: 'string', help: 'TensorFlow.js backend', default: 'wasm', choices: BACKEND_NAMES },
  json: { kind: 'boolean', help: 'print one JSON object', default: false },
  help: { kind: 'boolean', help: 'show this help' },
};

await runMain('score', FLAGS, async (f) => {
  if (f.model === undefined) throw new UsageError('--model <folder> is required');
  if (typeof f.text !== 'string' || f.text === '') throw new UsageError('--text "..." is required');
  await startBackend(f.backend as BackendName);
  const policy = await loadHubPolicy(new FolderFiles(f.model as string), { origin: { kind: 'hub', id: 'score', revision: 'local' }, lora: null, seed: 0, completionTokens: 2 });
  const codec = policy.codec as HubCodec;
  const ids = codec.encodeDocument(f.text);
  if (ids.length > policy.model.maxPositions) throw new UsageError(`the text is ${ids.length} tokens; the model takes at most ${policy.model.maxPositions}`);
  const logp = new Float32Array(Math.max(0, ids.length - 1));
  if (ids.length > 1) {
    const inputs = tf.tensor2d([ids.slice(0, -1)], [1, ids.length - 1], 'int32');
    const targets = tf.tensor2d([ids.slice(1)], [1, ids.length - 1], 'int32');
    const scored = tf.tidy(() => tokenLogProbs(policy.model, { params: policy.params, lora: null }, inputs, targets).logp);
    logp.set((await scored.data()) as Float32Array);
    tf.dispose([inputs, targets, scored]);
  }
  const tokens = ids.map((id, i) => ({ id, text: codec.tokenText(id), logprob: i === 0 ? null : logp[i - 1] }));
  const total = logp.reduce((a, b) => a + b, 0);
  if (f.json) console.log(JSON.stringify({ model: f.model, family: policy.model.family, ids, tokens, total_logprob: total }));
  else {
    for (const t of tokens) console.log(`${String(t.id).padStart(7)}  ${t.logprob === null ? '      -' : t.logprob.toFixed(4).padStart(9)}  ${JSON.stringify(t.text)}`);
    console.log(`total log-probability ${total.toFixed(4)} over ${logp.length} tokens`);
  }
  policy.dispose();
});
