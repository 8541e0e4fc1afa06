// Export and import for the open run: metrics as CSV or JSON, the policy as a safetensors model file, and a
// model file made the base model of a new run. Validation is core's (model-import.ts); this only reads files,
// starts downloads and keeps the last message for the panel.

import { checkModelFileSize } from '../../core/model/model-import.ts';
import { exportFileName, metricsToCsv, metricsToJson, type MetricStepRow } from '../../core/train/metrics-export.ts';
import type { RunConfig } from '../../core/train/run-config.ts';
import { downloadFile } from './download.ts';

/** What the transfer needs of the open run (the RunController has it). */
export interface TransferSource {
  readonly config: RunConfig;
  readonly runId: string;
  readonly step: number;
  readonly metrics: { rows(): MetricStepRow[] };
  /** The held-out series (exported with the rows: merged into the CSV, beside them in the JSON). */
  readonly heldout: { rows(): MetricStepRow[] };
  exportModel(): Promise<Uint8Array | null>;
  /** The zipped hub-layout folder (merged model, or a built-in model as GPT-2). */
  exportHubModel(): Promise<Uint8Array | null>;
  /** The zipped PEFT folder of a hub model's adapters. */
  exportAdapters(): Promise<Uint8Array | null>;
  importBaseModel(bytes: Uint8Array): Promise<void>;
}

/** What the export buttons write. */
export type ExportKind = 'weights' | 'hub' | 'adapters';

export class RunTransfer {
  busy = $state<'export' | 'import' | null>(null);
  /** Which export is under way. */
  exporting = $state<ExportKind | null>(null);
  /** The last import's or export's failure, for people; cleared by the next attempt. */
  error = $state<string | null>(null);
  /** The last success, e.g. which file became the base model. */
  message = $state<string | null>(null);

  constructor(private readonly run: TransferSource) {}

  exportMetricsCsv(): void {
    const { config, step } = this.run;
    downloadFile(exportFileName(config, step, 'csv'), metricsToCsv(this.run.metrics.rows(), this.run.heldout.rows()), 'text/csv');
  }

  exportMetricsJson(): void {
    const { config, step, runId } = this.run;
    downloadFile(exportFileName(config, step, 'json'), metricsToJson(this.run.metrics.rows(), runId, config, this.run.heldout.rows()), 'application/json');
  }

  /** Exports the current weights: a built-in model file, a hub-layout folder (zip), or a hub model's PEFT adapters (zip). */
  async exportModel(kind: ExportKind = 'weights'): Promise<void> {
    this.start('export');
    this.exporting = kind;
    const { config, step } = this.run;
    try {
      const make = { weights: () => this.run.exportModel(), hub: () => this.run.exportHubModel(), adapters: () => this.run.exportAdapters() }[kind];
      const bytes = await make();
      if (!bytes) throw new Error('there is no model yet: load or pretrain a base model first');
      const name = exportFileName(config, step, { weights: 'safetensors', hub: 'hub.zip', adapters: 'peft.zip' }[kind]);
      downloadFile(name, bytes as Uint8Array<ArrayBuffer>, kind === 'weights' ? 'application/octet-stream' : 'application/zip');
      this.message = kind === 'adapters' ? `${name}: the LoRA adapters as a PEFT folder (adapter_config.json, adapter_model.safetensors).` : kind === 'hub' ? `${name}: the model in the hub's layout, loadable by other tools.` : null;
    } catch (err) {
      this.error = `Exporting the model failed: ${(err as Error).message}.`;
    } finally {
      this.busy = null;
      this.exporting = null;
    }
  }

  /** Validates `file` as a model for the open run's environment; only a good file starts a new run. */
  async importModel(file: File): Promise<void> {
    this.start('import');
    try {
      checkModelFileSize(file.size);
      await this.run.importBaseModel(new Uint8Array(await file.arrayBuffer()));
      this.message = `${file.name} is the base model of this new run.`;
    } catch (err) {
      this.error = `${file.name} cannot be imported: ${(err as Error).message}. Nothing was changed.`;
    } finally {
      this.busy = null;
    }
  }

  private start(kind: 'export' | 'import'): void {
    this.busy = kind;
    this.error = null;
    this.message = null;
  }
}
