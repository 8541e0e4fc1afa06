// A folder or files the user chose on this device (a directory picker, a file picker, or a drop) as the LocalFiles
// the local-model store reads: the folder's own files only (a subfolder's files are not the model's), each read by
// byte range from the browser's File, never whole.

import type { LocalFile } from '../../core/hub/local-model.ts';

function localFile(file: File): LocalFile {
  return { name: file.name, size: file.size, read: async (start, end) => new Uint8Array(await file.slice(start, end).arrayBuffer()) };
}

/** The files of a picker's choice: a directory's top-level files (their relative path is folder/name), or the files. */
export function localFilesOf(files: FileList | readonly File[]): LocalFile[] {
  return [...files].filter((f) => (f.webkitRelativePath || f.name).split('/').length <= 2).map(localFile);
}

/** The top-level files of a dropped folder (or the dropped files themselves). */
export async function droppedFiles(transfer: DataTransfer): Promise<LocalFile[]> {
  const entries = [...transfer.items].map((item) => item.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  const folder = entries.length === 1 && entries[0].isDirectory ? (entries[0] as FileSystemDirectoryEntry) : null;
  if (!folder) return localFilesOf([...transfer.files]);
  const reader = folder.createReader();
  const all: FileSystemEntry[] = [];
  // readEntries gives a directory's entries in batches, an empty one at the end.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    all.push(...batch);
  }
  const files = await Promise.all(all.filter((e) => e.isFile).map((e) => new Promise<File>((resolve, reject) => (e as FileSystemFileEntry).file(resolve, reject))));
  return files.map(localFile);
}
