// The page's notices: at most one per topic, each a message of a kind and, where the user has a choice to make,
// the buttons for it. Parts of the page post and clear their own topics; the notice list draws them.

export type NoticeTopic = 'link' | 'model' | 'storage' | 'backend' | 'trainer' | 'checkpoint' | 'tab' | 'run';

export interface NoticeAction {
  label: string;
  run: () => void;
}

export interface Notice {
  kind: 'info' | 'warning' | 'error';
  text: string;
  actions?: readonly NoticeAction[];
}

export class Notices {
  items = $state.raw<Partial<Record<NoticeTopic, Notice>>>({});

  show(topic: NoticeTopic, kind: Notice['kind'], text: string, actions?: readonly NoticeAction[]): void {
    this.items = { ...this.items, [topic]: actions?.length ? { kind, text, actions } : { kind, text } };
  }

  clear(topic: NoticeTopic): void {
    if (!this.items[topic]) return;
    const { [topic]: _, ...rest } = this.items;
    this.items = rest;
  }
}
