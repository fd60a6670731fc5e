// Live updates: one EventSource on /api/events while signed in. Each `change` event names the
// topics that changed ("rollouts", "hosts", "compliance", "audit", "attempts"); the page on screen refetches
// what it shows. A refused stream (503: too many open) or a lost one is retried with a delay, and
// everything is refetched after a reconnect because changes may have been missed meanwhile.

const ALL_TOPICS = ['rollouts', 'hosts', 'compliance', 'audit', 'attempts'];

export class Live {
  constructor(onState) {
    this.source = null;
    this.handlers = new Set();
    this.retryTimer = 0;
    this.retryDelay = 2000;
    this.onState = onState;
    this.seq = 0;
  }

  start() {
    if (this.source) return;
    clearTimeout(this.retryTimer);
    const source = new EventSource('/api/events');
    this.source = source;
    this.onState('connecting');
    source.addEventListener('open', () => {
      // A change between the page's first fetch and this stream's start is in no event: fetch
      // again on every open, the first included.
      this.retryDelay = 2000;
      this.onState('live');
      this.dispatch(ALL_TOPICS);
    });
    source.addEventListener('change', (event) => {
      let topics = ALL_TOPICS;
      try {
        const data = JSON.parse(event.data);
        if (Array.isArray(data.topics)) topics = data.topics;
        this.seq = Number(data.seq) || this.seq;
      } catch { /* a change we cannot read: refetch everything */ }
      this.dispatch(topics);
    });
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) {
        // The browser gives up on an HTTP error (503); retry ourselves, backing off to 30 s.
        this.source = null;
        this.onState('offline');
        this.retryTimer = setTimeout(() => this.start(), this.retryDelay);
        this.retryDelay = Math.min(this.retryDelay * 2, 30000);
      } else {
        this.onState('connecting');
      }
    });
  }

  stop() {
    clearTimeout(this.retryTimer);
    if (this.source) this.source.close();
    this.source = null;
    this.onState('off');
  }

  dispatch(topics) {
    for (const handler of [...this.handlers]) {
      if (handler.topics.some((t) => topics.includes(t))) handler.fn(topics);
    }
  }

  // Calls fn whenever one of `topics` changes; returns the function that stops it.
  subscribe(topics, fn) {
    const handler = {topics, fn};
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
}
