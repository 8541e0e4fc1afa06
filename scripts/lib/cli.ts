// Command-line flag parsing for the scripts: a table of flags, typed values, and exit code 2 with a clear
// message on anything unknown or malformed.

export type FlagKind = 'string' | 'number' | 'boolean';

export interface FlagSpec {
  kind: FlagKind;
  help: string;
  default?: string | number | boolean;
  choices?: readonly string[];
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseFlags(argv: readonly string[], spec: Record<string, FlagSpec>): Record<string, string | number | boolean | undefined> {
  const out: Record<string, string | number | boolean | undefined> = {};
  for (const [name, s] of Object.entries(spec)) out[name] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const [rawName, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    const s = spec[rawName];
    if (!s) throw new UsageError(`unknown flag --${rawName}`);
    if (s.kind === 'boolean') {
      out[rawName] = inline === undefined ? true : inline !== 'false';
      continue;
    }
    const value = inline ?? argv[++i];
    // A value written inline (--flag=--other) is taken as written; a separate one must not be the next flag.
    if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`--${rawName} needs a value`);
    if (s.kind === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new UsageError(`--${rawName} must be a number, got "${value}"`);
      out[rawName] = n;
    } else {
      if (s.choices && !s.choices.includes(value)) throw new UsageError(`--${rawName} must be one of ${s.choices.join(', ')}, got "${value}"`);
      out[rawName] = value;
    }
  }
  return out;
}

export function usage(command: string, spec: Record<string, FlagSpec>): string {
  const lines = Object.entries(spec).map(([name, s]) => {
    const choices = s.choices ? ` (${s.choices.join('|')})` : '';
    const def = s.default !== undefined ? ` [default: ${s.default}]` : '';
    return `  --${name.padEnd(16)} ${s.help}${choices}${def}`;
  });
  return `usage: npm run ${command} -- [flags]\n${lines.join('\n')}`;
}

/** Runs a script's main; usage errors exit 2, other errors exit 1, both with a one-line message. */
export async function runMain(command: string, spec: Record<string, FlagSpec>, main: (flags: Record<string, string | number | boolean | undefined>) => Promise<void>): Promise<void> {
  let flags;
  try {
    flags = parseFlags(process.argv.slice(2), spec);
    if (flags.help) {
      console.log(usage(command, spec));
      return;
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`error: ${err.message}\n${usage(command, spec)}`);
      process.exit(2);
    }
    throw err;
  }
  try {
    await main(flags);
  } catch (err) {
    const e = err as Error;
    if (e.name === 'UsageError' || e.name === 'ConfigError' || e.name === 'UnknownEnvironmentError' || e.name === 'ModelConfigError' || e.name === 'PretrainConfigError') {
      console.error(`error: ${e.message}`);
      process.exit(2);
    }
    console.error(`error: ${e.name}: ${e.message}`);
    if (process.env.SPARRING_STACK) console.error(e.stack);
    process.exit(1);
  }
}

/** A one-line progress bar on stderr (for people; --json output stays clean on stdout). */
export function progressLine(done: number, total: number, text: string): void {
  const width = 24;
  const filled = Math.round((done / Math.max(total, 1)) * width);
  process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${text}   `);
  if (done >= total) process.stderr.write('\n');
}
