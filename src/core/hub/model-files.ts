// A model as a folder of files, read whole or by byte range: the one way the hub readers see a model, whatever
// holds it (memory here; a folder on disk in scripts/lib/folder-files.ts; the browser's stores elsewhere).
// Not a reader of any format: the safetensors and config readers build on it.

export interface ModelFiles {
  /** The folder's name, for messages. */
  readonly name: string;
  /** The names of the folder's files (top level only), sorted. */
  list(): Promise<string[]>;
  /** A file's size in bytes. */
  size(file: string): Promise<number>;
  /** Bytes `[start, end)` of a file (the whole file by default): a new array of exactly that length. */
  read(file: string, start?: number, end?: number): Promise<Uint8Array>;
}

/** A file that is not in the folder, a byte range outside it, or a file that is not what its name says. */
export class ModelFilesError extends Error {
  override name = 'ModelFilesError';
}

/**
 * The byte range `[start, end)` a read asks for in a file of `size` bytes, its defaults filled in; a range that
 * is not whole numbers inside the file is refused before anything is read.
 */
export function checkedRange(where: string, size: number, start = 0, end = size): [number, number] {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > size) {
    throw new ModelFilesError(`cannot read bytes [${start}, ${end}) of ${where}: the file has ${size} bytes (a range needs 0 <= start <= end <= size)`);
  }
  return [start, end];
}

/**
 * A file's name as a folder may hold it: one plain name, no path. Names come from untrusted files (a shard index
 * names its shards), so a name that could leave the folder (`../x`, `a/b`) is refused, not resolved.
 */
export function checkFileName(folder: string, file: string): void {
  if (!isPlainFileName(file)) {
    throw new ModelFilesError(`"${file}" is not a file name in ${folder}: a model's files are plain names in its folder, without a path`);
  }
}

/** Whether `file` is one plain name: not empty, not `.` or `..`, no slash, backslash or NUL. */
export function isPlainFileName(file: string): boolean {
  return file !== '' && file !== '.' && file !== '..' && !/[/\\\0]/.test(file);
}

/** A folder held in memory: file name -> bytes. What the writers return, and what the tests read. */
export class MemoryFiles implements ModelFiles {
  private readonly files: ReadonlyMap<string, Uint8Array>;

  constructor(files: ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>, readonly name = 'memory') {
    const entries = files instanceof Map ? [...files] : Object.entries(files);
    for (const [file] of entries) checkFileName(name, file);
    this.files = new Map(entries);
  }

  async list(): Promise<string[]> {
    return [...this.files.keys()].sort();
  }

  async size(file: string): Promise<number> {
    return this.bytesOf(file).length;
  }

  async read(file: string, start?: number, end?: number): Promise<Uint8Array> {
    const bytes = this.bytesOf(file);
    const [from, to] = checkedRange(`${this.name}/${file}`, bytes.length, start, end);
    return bytes.slice(from, to);
  }

  private bytesOf(file: string): Uint8Array {
    checkFileName(this.name, file);
    const bytes = this.files.get(file);
    if (!bytes) throw new ModelFilesError(`${this.name} has no file "${file}"`);
    return bytes;
  }
}

/**
 * A JSON file of the folder, parsed; its size is checked against `maxBytes` before it is read, so a file that
 * claims to be a config but is a shard is not loaded whole.
 */
export async function readJsonFile(files: ModelFiles, file: string, maxBytes: number): Promise<unknown> {
  const where = `${files.name}/${file}`;
  if (!(await files.list()).includes(file)) throw new ModelFilesError(`${files.name} has no file "${file}"`);
  const size = await files.size(file);
  if (size > maxBytes) throw new ModelFilesError(`${where} is ${size} bytes; a JSON file of a model folder is at most ${maxBytes} bytes here`);
  const bytes = await files.read(file);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new ModelFilesError(`${where} is not JSON (UTF-8 text): check that the file downloaded whole`);
  }
}
