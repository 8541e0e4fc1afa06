// The project's import graph as data, read with the TypeScript parser: which file imports which, and whether an
// import survives compilation (a value import) or is erased (`import type`). For the house-rule tests; no tensors.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** One import of a file: a project file (path relative to the root) or a package name ('@tensorflow/tfjs'). */
export interface ImportEdge {
  target: string;
  /** Erased by the compiler: `import type`, `export type ... from`. */
  typeOnly: boolean;
  /** An `export ... from`: the file passes another module's names on as its own. */
  reexport: boolean;
}

/** File -> its imports; files are paths relative to the root, with '/' separators. */
export type ImportGraph = ReadonlyMap<string, readonly ImportEdge[]>;

const SOURCE_EXTENSIONS = ['.ts', '.svelte'];

/** The code of a file: a .svelte file's <script> blocks, a .ts file whole. */
function scriptText(path: string, text: string): string {
  if (!path.endsWith('.svelte')) return text;
  const blocks = [...text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((match) => match[1]);
  return blocks.join('\n');
}

/** One import declaration as written: its module specifier, and whether it is erased or passes names on. */
export interface StaticImport {
  specifier: string;
  typeOnly: boolean;
  reexport: boolean;
}

/**
 * The static imports and re-exports of one file's code. With `verbatimModuleSyntax` (this project's tsconfig)
 * only a declaration marked `type` as a whole is erased; `import { type A } from 'x'` stays as `import {} from 'x'`,
 * which still loads 'x', so it counts as a value import. Dynamic `import()` and `new URL(...)` are not static.
 */
export function staticImports(fileName: string, code: string): StaticImport[] {
  const source = ts.createSourceFile(fileName, code, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const found: StaticImport[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      found.push({ specifier: statement.moduleSpecifier.text, typeOnly: statement.importClause?.isTypeOnly ?? false, reexport: false });
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)) {
      found.push({ specifier: statement.moduleSpecifier.text, typeOnly: statement.isTypeOnly, reexport: true });
    }
  }
  return found;
}

function isRelative(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../');
}

/** A package import's package: '@scope/name/sub' -> '@scope/name', 'name/sub' -> 'name'. */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function sourceFilesUnder(root: string, folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (SOURCE_EXTENSIONS.some((ext) => name.endsWith(ext)) && !name.endsWith('.d.ts')) out.push(full);
    }
  };
  walk(join(root, folder));
  return out.map((full) => toProjectPath(root, full));
}

function toProjectPath(root: string, full: string): string {
  return relative(root, full).split('\\').join('/');
}

/**
 * The import graph of every source file under `folders` (relative to `root`) and of the project files they
 * reach. Relative imports resolve to project files (this project writes their extensions); bare ones are packages,
 * kept as their package name. Imports of assets ('?url', '.css', '.json') are leaves like packages.
 */
export function buildImportGraph(root: string, folders: readonly string[]): ImportGraph {
  const graph = new Map<string, ImportEdge[]>();
  const pending = folders.flatMap((folder) => sourceFilesUnder(root, folder));
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (graph.has(file)) continue;
    const code = scriptText(file, readFileSync(join(root, file), 'utf8'));
    const edges: ImportEdge[] = staticImports(file, code).map(({ specifier, typeOnly, reexport }) => {
      if (!isRelative(specifier)) return { target: packageOf(specifier), typeOnly, reexport };
      const target = toProjectPath(root, resolve(dirname(join(root, file)), specifier.split('?')[0]));
      return { target, typeOnly, reexport };
    });
    graph.set(file, edges);
    for (const { target } of edges) {
      if (SOURCE_EXTENSIONS.some((ext) => target.endsWith(ext)) && !graph.has(target)) pending.push(target);
    }
  }
  return graph;
}

/**
 * The first import cycle among the files `include` accepts, as the files around it with the first repeated at
 * the end ('a.ts -> b.ts -> a.ts'), or null. Every import counts, type-only ones too: a circle of types still
 * ties the two files together for a reader.
 */
export function findCycle(graph: ImportGraph, include: (file: string) => boolean): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): string[] | null => {
    state.set(file, 'open');
    path.push(file);
    for (const { target } of graph.get(file) ?? []) {
      if (!include(target) || !graph.has(target)) continue;
      if (state.get(target) === 'open') return [...path.slice(path.indexOf(target)), target];
      if (state.get(target) === undefined) {
        const cycle = visit(target);
        if (cycle !== null) return cycle;
      }
    }
    path.pop();
    state.set(file, 'done');
    return null;
  };
  for (const file of [...graph.keys()].filter(include).sort()) {
    if (state.get(file) !== undefined) continue;
    const cycle = visit(file);
    if (cycle !== null) return cycle;
  }
  return null;
}

/**
 * The shortest chain of value imports (type-only ones are erased, so they do not load anything) from `start` to
 * a package that `forbidden` names, as the files and then the package, or null when none is reached.
 */
export function valueImportChain(graph: ImportGraph, start: string, forbidden: (pkg: string) => boolean): string[] | null {
  const parent = new Map<string, string | null>([[start, null]]);
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const file = queue[head];
    for (const { target, typeOnly } of graph.get(file) ?? []) {
      if (typeOnly || parent.has(target)) continue;
      parent.set(target, file);
      if (!graph.has(target) && forbidden(target)) {
        const chain = [target];
        for (let at = parent.get(target); at !== null && at !== undefined; at = parent.get(at)) chain.unshift(at);
        return chain;
      }
      if (graph.has(target)) queue.push(target);
    }
  }
  return null;
}
