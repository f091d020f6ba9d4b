// A last line of defence for kernel tests: whatever a test creates (namespaces, processes) registers
// an undo here. Tests undo their own things in t.after / finally; this runs what is still left when
// the test process exits for any reason (a failed assertion, an exception, a signal), so a broken
// run never leaves namespaces, veths or BPF attachments behind.

type Undo = () => void;

const pending = new Map<number, Undo>();
let nextId = 1;

/** Registers a synchronous undo; returns a function that runs it once and unregisters it. */
export function registerCleanup(undo: Undo): () => void {
  const id = nextId++;
  pending.set(id, undo);
  return () => {
    const fn = pending.get(id);
    if (!fn) return;
    pending.delete(id);
    fn();
  };
}

function runAll(): void {
  // Newest first: processes started inside a namespace go before the namespace.
  for (const id of [...pending.keys()].sort((a, b) => b - a)) {
    const fn = pending.get(id)!;
    pending.delete(id);
    try {
      fn();
    } catch {
      // keep going: the next undo may still succeed
    }
  }
}

process.on('exit', runAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    runAll();
    process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
  });
}
