// What the agent tells its caller on stderr: human lines, or JSON lines with --events json
// (started, stats, stopped, error), which the extension reads. stdout stays capture bytes only.

export interface InterfaceStats {
  name: string;
  ifindex: number;
  seen: number;
  matched: number;
  captured: number;
  dropped: number;
}

export type AgentEvent =
  // filter: the effective filter, exclusion included; exclude: the --exclude text, when given.
  | {
      event: 'started';
      interfaces: { name: string; ifindex: number; mode: string }[];
      filter: string;
      exclude?: string;
      snaplen: number;
      format: string;
    }
  | { event: 'attached'; interface: { name: string; ifindex: number; mode: string } }
  | {
      event: 'stats';
      packets: number;
      bytes: number;
      kernelDropped: number;
      sinkDropped: number;
      interfaces: InterfaceStats[];
    }
  | { event: 'clients'; count: number }
  | { event: 'filter'; filter: string }
  | { event: 'stopped'; reason: StopReason; packets: number; bytes: number; kernelDropped: number; sinkDropped: number }
  | { event: 'error'; code: string; message: string };

export type StopReason = 'count' | 'max-bytes' | 'duration' | 'stdin-closed' | 'signal' | 'output-closed' | 'error';

export class EventLog {
  constructor(
    readonly json: boolean,
    private readonly out: NodeJS.WritableStream = process.stderr,
  ) {}

  emit(e: AgentEvent): void {
    if (this.json) {
      this.out.write(`${JSON.stringify({ ...e, time: new Date().toISOString() })}\n`);
      return;
    }
    const line = humanLine(e);
    if (line) this.out.write(`pcap-agent: ${line}\n`);
  }
}

function humanLine(e: AgentEvent): string | undefined {
  switch (e.event) {
    case 'started':
      return (
        `capturing on ${e.interfaces.map((i) => `${i.name} (${i.mode})`).join(', ')}` +
        (e.filter ? `, filter "${e.filter}"` : '') +
        `, snaplen ${e.snaplen}, ${e.format}`
      );
    case 'attached':
      return `capturing on ${e.interface.name} (${e.interface.mode})`;
    case 'filter':
      return `filter now "${e.filter}"`;
    case 'clients':
      return `${e.count} client${e.count === 1 ? '' : 's'} connected`;
    case 'stopped':
      return (
        `stopped (${e.reason}): ${e.packets} packets, ${e.bytes} bytes written; ` +
        `${e.kernelDropped} dropped in the kernel (ring full), ${e.sinkDropped} dropped for slow readers`
      );
    case 'error':
      return e.message;
    case 'stats':
      return undefined;
  }
}
