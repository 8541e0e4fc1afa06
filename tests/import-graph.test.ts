// House rules on the import graph: no import cycle in src/core, and nothing under src/app or src/core/envs
// loads @tensorflow/* through its static imports. The walker itself is checked on small fixture trees first,
// so a rule that passes is known to be able to fail.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildImportGraph, findCycle, staticImports, valueImportChain, type ImportGraph } from './import-graph.ts';

const ROOT = resolve(import.meta.dirname, '..');
const isTensorPackage = (pkg: string) => pkg.startsWith('@tensorflow/');
const inCore = (file: string) => file.startsWith('src/core/');
/** Where tensors must not reach: the page's main thread and the environments. */
const TENSOR_FREE_FOLDERS = ['src/app', 'src/core/envs'];

/**
 * Re-exports still in place, each waiting for its last importers to move to the defining module; the rule skips
 * them, and a test below fails once one is gone, so the entry goes with it.
 */
const PENDING_REEXPORTS: readonly { from: string; of: string; until: string }[] = [];

/**
 * Imports that still load tfjs on the way to something pure, each waiting for a named change; the rule skips
 * them, and a test below fails once one is gone or no longer leads to tfjs, so the entry is removed with it.
 */
const PENDING_EDGES: readonly { from: string; to: string; until: string }[] = [];

function withoutEdges(graph: ImportGraph, edges: readonly { from: string; to: string }[]): ImportGraph {
  const out = new Map(graph);
  for (const { from, to } of edges) out.set(from, (out.get(from) ?? []).filter((edge) => edge.target !== to));
  return out;
}

/** The chains by which files under `folders` reach tfjs, one line each ('a.ts -> b.ts -> @tensorflow/tfjs'). */
function tensorChains(graph: ImportGraph, folders: readonly string[]): string[] {
  const starts = [...graph.keys()].filter((file) => folders.some((folder) => file.startsWith(`${folder}/`))).sort();
  return starts.flatMap((file) => {
    const chain = valueImportChain(graph, file, isTensorPackage);
    return chain === null ? [] : [chain.join(' -> ')];
  });
}

describe('the import-graph walker, on fixture trees', () => {
  const made: string[] = [];
  afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  function tree(files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), 'import-graph-'));
    made.push(root);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return root;
  }

  it('tells erased imports from value imports, as verbatimModuleSyntax compiles them', () => {
    const code = [
      "import type { A } from './a.ts';",
      "import { type B } from './b.ts';",
      "import { c, type C } from './c.ts';",
      "import './d.ts';",
      "import * as tf from '@tensorflow/tfjs';",
      "export type { E } from './e.ts';",
      "export { f } from './f.ts';",
      "const later = () => import('./g.ts');",
      "const url = new URL('./h.ts', import.meta.url);",
    ].join('\n');
    expect(staticImports('x.ts', code)).toEqual([
      { specifier: './a.ts', typeOnly: true, reexport: false },
      { specifier: './b.ts', typeOnly: false, reexport: false }, // stays as `import {} from './b.ts'`
      { specifier: './c.ts', typeOnly: false, reexport: false },
      { specifier: './d.ts', typeOnly: false, reexport: false },
      { specifier: '@tensorflow/tfjs', typeOnly: false, reexport: false },
      { specifier: './e.ts', typeOnly: true, reexport: true },
      { specifier: './f.ts', typeOnly: false, reexport: true },
    ]);
  });

  it('names a chain to tfjs through .ts and .svelte files, and not one through `import type`', () => {
    const root = tree({
      'app/Page.svelte': "<script lang=\"ts\">\n  import { run } from './run.ts';\n</script>\n<p>{run()}</p>\n",
      'app/run.ts': "import { model } from '../core/model.ts';\nexport const run = () => model;\n",
      'app/typed.ts': "import type { Tensor } from '@tensorflow/tfjs-core';\nimport type { model } from '../core/model.ts';\nexport type T = Tensor | typeof model;\n",
      'core/model.ts': "import * as tf from '@tensorflow/tfjs';\nexport const model = tf;\n",
    });
    const graph = buildImportGraph(root, ['app']);
    expect(valueImportChain(graph, 'app/Page.svelte', isTensorPackage)).toEqual(['app/Page.svelte', 'app/run.ts', 'core/model.ts', '@tensorflow/tfjs']);
    expect(valueImportChain(graph, 'app/typed.ts', isTensorPackage)).toBeNull();
    expect(tensorChains(graph, ['app'])).toEqual([
      'app/Page.svelte -> app/run.ts -> core/model.ts -> @tensorflow/tfjs',
      'app/run.ts -> core/model.ts -> @tensorflow/tfjs',
    ]);
  });

  it('names a cycle, type-only imports included, and finds none in a tree without one', () => {
    const root = tree({
      'core/a.ts': "import { b } from './b.ts';\nexport const a = b;\n",
      'core/b.ts': "import type { C } from './c.ts';\nexport const b: C = 1;\n",
      'core/c.ts': "import type { a } from './a.ts';\nexport type C = typeof a;\n",
      'core/d.ts': "import { a } from './a.ts';\nexport const d = a;\n",
    });
    expect(findCycle(buildImportGraph(root, ['core']), () => true)).toEqual(['core/a.ts', 'core/b.ts', 'core/c.ts', 'core/a.ts']);
    const acyclic = tree({
      'core/a.ts': "import { b } from './b.ts';\nimport { c } from './c.ts';\nexport const a = b + c;\n",
      'core/b.ts': "import { c } from './c.ts';\nexport const b = c;\n",
      'core/c.ts': 'export const c = 1;\n',
    });
    expect(findCycle(buildImportGraph(acyclic, ['core']), () => true)).toBeNull();
  });
});

describe('the project import graph', () => {
  const graph = buildImportGraph(ROOT, ['src', 'workers', 'scripts']);

  it('reads the whole of src (a walker that found nothing would pass everything)', () => {
    expect(graph.has('src/core/envs/writing/index.ts')).toBe(true);
    expect(graph.has('src/app/App.svelte')).toBe(true);
    expect(graph.get('src/core/train/selfplay.ts')?.some((edge) => edge.target === '@tensorflow/tfjs' && !edge.typeOnly)).toBe(true);
  });

  it('has no import cycle in src/core', () => {
    const cycle = findCycle(graph, inCore);
    expect(cycle, cycle ? `import cycle: ${cycle.join(' -> ')}` : '').toBeNull();
  });

  it('keeps @tensorflow/* out of src/app and src/core/envs (static imports, transitively)', () => {
    const chains = tensorChains(withoutEdges(graph, PENDING_EDGES), TENSOR_FREE_FOLDERS);
    expect(chains, `these files load tfjs:\n${chains.join('\n')}`).toEqual([]);
  });

  it('has one import path per name: no file in src re-exports another module (`export ... from`)', () => {
    const pending = (file: string, target: string) => PENDING_REEXPORTS.some((entry) => entry.from === file && entry.of === target);
    const reexports = [...graph.entries()]
      // AssemblyScript's entry file exports its module's kernels by re-exporting them: another language's unit.
      .filter(([file]) => file.startsWith('src/') && !file.startsWith('src/core/kernels/assembly/'))
      .flatMap(([file, edges]) => edges.filter((edge) => edge.reexport && !pending(file, edge.target)).map((edge) => `${file} re-exports ${edge.target}`));
    expect(reexports, `import these names from the module that defines them:\n${reexports.join('\n')}`).toEqual([]);
  });

  it.each(PENDING_REEXPORTS)('still has its pending re-export in $from', ({ from, of, until }) => {
    const stale = `remove the entry for ${from} from PENDING_REEXPORTS (it waited until ${until})`;
    expect(graph.get(from)?.some((edge) => edge.reexport && edge.target === of), stale).toBe(true);
  });

  it.each(PENDING_EDGES)('still needs its pending edge $from -> $to', ({ from, to, until }) => {
    const stale = `remove the pending edge ${from} -> ${to} from PENDING_EDGES (it waited until ${until})`;
    expect(graph.get(from)?.some((edge) => edge.target === to && !edge.typeOnly), `${from} no longer imports ${to}: ${stale}`).toBe(true);
    expect(valueImportChain(graph, to, isTensorPackage), `${to} no longer loads tfjs: ${stale}`).not.toBeNull();
  });
});
