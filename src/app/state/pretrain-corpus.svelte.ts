// The corpus a user chose for pretraining the writing environment's base model: checked and summarised in
// the page at once (pure functions of envs/writing/user-corpus.ts), sent to the worker only when pretraining starts.
// A rejected file or paste sets `error` and changes nothing else: the previous corpus stays chosen.

import {
  checkCorpusSize,
  CorpusError,
  prepareWritingCorpus,
  readCorpusBytes,
  type CorpusSummary,
} from '../../core/envs/writing/user-corpus.ts';

export class PretrainCorpus {
  /** The accepted corpus text, or null: pretrain on the environment's generator alone. */
  text = $state.raw<string | null>(null);
  /** Where the accepted text came from, for people: a file name or 'pasted text'. */
  source = $state.raw<string | null>(null);
  summary = $state.raw<CorpusSummary | null>(null);
  error = $state.raw<string | null>(null);

  async useFile(file: File): Promise<void> {
    try {
      checkCorpusSize(file.size); // before reading: a huge file is never loaded
      this.accept(readCorpusBytes(new Uint8Array(await file.arrayBuffer())), file.name);
    } catch (err) {
      this.reject(err);
    }
  }

  usePasted(text: string): void {
    try {
      this.accept(text, 'pasted text');
    } catch (err) {
      this.reject(err);
    }
  }

  clear(): void {
    this.text = null;
    this.source = null;
    this.summary = null;
    this.error = null;
  }

  private accept(text: string, source: string): void {
    const { summary } = prepareWritingCorpus(text); // throws CorpusError before anything changes
    this.text = text;
    this.source = source;
    this.summary = summary;
    this.error = null;
  }

  private reject(err: unknown): void {
    if (!(err instanceof CorpusError)) throw err;
    this.error = err.message;
  }
}
