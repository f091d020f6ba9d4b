// What every tab beside a capture (Follow Stream, Conversations) says the same way: the page says
// it is ready, the host then sends it what to show, again whenever that changes. Each tab's own
// messages are in its protocol file (follow-protocol.ts, statistics-protocol.ts).

export interface TabReady {
  type: 'ready';
}

export interface TabShow<View> {
  type: 'show';
  view: View;
}
