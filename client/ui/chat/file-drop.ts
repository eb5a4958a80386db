/**
 * Files dropped onto the conversation or pasted into it (a screenshot from the clipboard, a file copied in a file
 * manager) go to the composer like picked ones. Listens on the conversation element the composer sits in.
 */
import { useEffect } from 'preact/hooks';
import type { RefObject } from 'preact';

function filesOf(data: DataTransfer | null): File[] {
  if (!data) return [];
  const files = [...data.files];
  if (files.length) return files;
  // Some browsers give pasted images only as items.
  return [...data.items].filter((i) => i.kind === 'file').map((i) => i.getAsFile()).filter((f): f is File => f !== null);
}

const hasFiles = (e: DragEvent) => !!e.dataTransfer && [...e.dataTransfer.types].includes('Files');

export function useFileDrop(inside: RefObject<HTMLElement | null>, enabled: boolean, onFiles: (files: File[]) => void): void {
  useEffect(() => {
    const area = inside.current?.closest<HTMLElement>('.conversation');
    if (!area || !enabled) return;
    let depth = 0;
    const mark = (on: boolean) => area.classList.toggle('drop-target', on);
    const over = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault(); // allows the drop
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth++;
      mark(true);
    };
    const leave = () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) mark(false);
    };
    const drop = (e: DragEvent) => {
      depth = 0;
      mark(false);
      const files = filesOf(e.dataTransfer);
      if (!files.length) return;
      e.preventDefault();
      onFiles(files);
    };
    const paste = (e: ClipboardEvent) => {
      const files = filesOf(e.clipboardData);
      if (!files.length) return; // text pastes as usual
      e.preventDefault();
      onFiles(files);
    };
    area.addEventListener('dragover', over);
    area.addEventListener('dragenter', enter);
    area.addEventListener('dragleave', leave);
    area.addEventListener('drop', drop);
    area.addEventListener('paste', paste);
    return () => {
      mark(false);
      area.removeEventListener('dragover', over);
      area.removeEventListener('dragenter', enter);
      area.removeEventListener('dragleave', leave);
      area.removeEventListener('drop', drop);
      area.removeEventListener('paste', paste);
    };
  }, [inside, enabled, onFiles]);
}
