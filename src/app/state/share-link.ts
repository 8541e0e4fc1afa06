// Share links: the URL hash holds a whole run config as `#v1.<payload>`, where the payload is the
// lz-string-compressed JSON of the fields that differ from the algorithm's defaults. Reading a link checks
// its version, its encoding, every field's type (valibot, from the property table) and the config's rules.

import * as v from 'valibot';
import LZString from 'lz-string';
import { ConfigError } from '../../core/rl/config.ts';
import { ENV_KEYS, getEnv } from '../../core/envs/registry.ts';
import { defaultRunConfig, RUN_ALGORITHMS, validateRunConfig, type RunAlgorithm, type RunConfig } from '../../core/train/run-config.ts';
import { canonicalRubricOverrides } from '../../core/train/rubric-overrides.ts';
import { RUN_PROPERTIES, RUN_PROPERTY_KEYS } from './run-properties.ts';

export const LINK_VERSION = 1;

export type ShareLinkProblem = 'malformed' | 'damaged' | 'future-version' | 'invalid';

export class ShareLinkError extends Error {
  override name = 'ShareLinkError';
  constructor(
    readonly problem: ShareLinkProblem,
    message: string,
  ) {
    super(message);
  }
}

/** Every property optional (absent means default); unknown keys are rejected, so a typo is reported. */
const PayloadSchema = v.strictObject(
  Object.fromEntries(RUN_PROPERTY_KEYS.map((key) => [key, v.optional(RUN_PROPERTIES[key].schema)])) as {
    [K in keyof RunConfig]: v.OptionalSchema<v.GenericSchema<unknown, RunConfig[K]>, undefined>;
  },
);

/**
 * One lz-string-compressed JSON part of a link, checked by `schema`. Throws ShareLinkError: 'damaged' when the
 * part does not decompress to JSON, 'invalid' (with the first issue's field, if any) when the schema refuses it.
 */
export function readLinkPart<T>(
  part: string,
  schema: v.GenericSchema<unknown, T>,
  messages: { damaged: string; invalid: (field: string | null, detail: string) => string },
): T {
  let raw: unknown;
  try {
    const json = LZString.decompressFromEncodedURIComponent(part);
    if (!json) throw new Error('empty');
    raw = JSON.parse(json);
  } catch {
    throw new ShareLinkError('damaged', messages.damaged);
  }
  const parsed = v.safeParse(schema, raw);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new ShareLinkError('invalid', messages.invalid(v.getDotPath(issue), issue.message));
  }
  return parsed.output;
}

/** The hash for a config, with the leading '#'. */
export function encodeShareLink(config: RunConfig): string {
  // Defaults depend on the algorithm (LSP-Zero has no quality weight), so it is compared with the global default.
  const defaults = { ...defaultRunConfig(config.algorithm), algorithm: defaultRunConfig().algorithm };
  // Rubric overrides go in their short form (only what differs from the criteria's definitions), so a link
  // names only what was changed and two links with the same effect are the same link.
  const rubric = config.rubric ?? {};
  const compact: RunConfig = { ...config, rubric: ENV_KEYS.includes(config.env) ? canonicalRubricOverrides(getEnv(config.env), rubric) : rubric };
  const changed: Partial<Record<keyof RunConfig, unknown>> = {};
  for (const key of RUN_PROPERTY_KEYS) if (!sameValue(compact[key], defaults[key])) changed[key] = compact[key];
  return `#v${LINK_VERSION}.${LZString.compressToEncodedURIComponent(JSON.stringify(changed))}`;
}

/** Plain values by ===, objects (the rubric overrides) by content. */
function sameValue(a: unknown, b: unknown): boolean {
  return typeof a === 'object' && a !== null ? JSON.stringify(a) === JSON.stringify(b) : a === b;
}

/** The config a hash describes; the defaults for an empty hash. Throws ShareLinkError with a readable message. */
export function decodeShareLink(hash: string): RunConfig {
  const text = hash.startsWith('#') ? hash.slice(1) : hash;
  if (text === '') return defaultRunConfig();
  const match = /^v(\d+)\.(.*)$/s.exec(text);
  if (!match) throw new ShareLinkError('malformed', 'This link does not hold Sparring settings (it should start with #v1.).');
  const version = Number(match[1]);
  if (version > LINK_VERSION) {
    throw new ShareLinkError('future-version', `This link was made by a newer version of Sparring (link format v${version}; this page reads v${LINK_VERSION}). Reload to get the newest version.`);
  }
  if (version !== LINK_VERSION) throw new ShareLinkError('malformed', `Unknown link format v${version}.`);

  // A workshop link appends '.<view options>' (view-options.ts reads that part); lz-string never writes a '.'.
  const payload = readLinkPart(match[2].split('.')[0], PayloadSchema, {
    damaged: 'This link is incomplete or damaged: was it cut off when it was copied?',
    invalid: (field, detail) => (field ? `This link's setting "${field}" is not valid: ${detail}.` : `This link's settings are not valid: ${detail}.`),
  });
  const given = Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== undefined)) as Partial<RunConfig>;
  const algorithm: RunAlgorithm = given.algorithm ?? defaultRunConfig().algorithm;
  if (!RUN_ALGORITHMS.includes(algorithm)) throw new ShareLinkError('invalid', `This link's algorithm "${algorithm}" is not known.`);
  const config = { ...defaultRunConfig(algorithm), ...given };
  try {
    validateRunConfig(config);
    return { ...config, rubric: canonicalRubricOverrides(getEnv(config.env), config.rubric) };
  } catch (err) {
    if (err instanceof ConfigError) throw new ShareLinkError('invalid', `This link's settings break a rule: ${err.message}.`);
    throw err;
  }
}
