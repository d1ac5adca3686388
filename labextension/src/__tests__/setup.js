// jsdom has no DragEvent; @lumino/dragdrop (imported by @lumino/widgets) subclasses it
if (typeof globalThis.DragEvent === 'undefined') {
  globalThis.DragEvent = class DragEvent extends MouseEvent {};
}
