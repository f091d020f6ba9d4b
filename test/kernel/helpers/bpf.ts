// What is attached where, as the kernel says: tcx programs per interface (BPF_PROG_QUERY through
// tcxquery.py), the links and programs an agent process holds (/proc/PID/fdinfo), global link and
// program lists (bpftool), and clsact qdiscs/filters (tc).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Netns, sh } from './netns.js';

const TCXQUERY = path.join(__dirname, 'tcxquery.py');
/**
 * The agent's hook programs. The kernel keeps 15 characters of a name (tc shows `cap_pcap_ingres`),
 * bpftool the whole one from BTF (`cap_pcap_ingress`).
 */
export const OUR_PROGRAMS = ['cap_pcap_ingress', 'cap_pcap_ingres', 'cap_pcap_egress'];

export interface TcxAttachment {
  prog: number;
  link: number;
  name: string;
}

/** Program names by id, from bpftool. */
export function programs(): Map<number, string> {
  const list = JSON.parse(sh('bpftool', ['-j', 'prog', 'show'])) as { id: number; name?: string }[];
  return new Map(list.map((p) => [p.id, p.name ?? '']));
}

/** Every BPF link id (bpftool link show) with its program id. */
export function links(): Map<number, number> {
  const list = JSON.parse(sh('bpftool', ['-j', 'link', 'show'])) as { id: number; prog_id: number }[];
  return new Map(list.map((l) => [l.id, l.prog_id]));
}

/** Links whose program is one of the agent's (OUR_PROGRAMS), on the whole machine. */
export function agentLinks(): number {
  const names = programs();
  return [...links().values()].filter((prog) => OUR_PROGRAMS.includes(names.get(prog) ?? '')).length;
}

/** The ids of the links of the agent's programs that one process holds (its fdinfo), ascending. */
export function agentLinksHeldBy(pid: number): number[] {
  const names = programs();
  return heldBy(pid)
    .links.filter((l) => OUR_PROGRAMS.includes(names.get(l.prog) ?? ''))
    .map((l) => l.id)
    .sort((x, y) => x - y);
}

/** The tcx programs attached to an interface in a namespace, per direction. */
export function tcx(ns: Netns, dev: string): { ingress: TcxAttachment[]; egress: TcxAttachment[] } {
  const raw = JSON.parse(ns.exec('python3', [TCXQUERY, dev])) as Record<
    'ingress' | 'egress',
    { prog: number; link: number }[]
  >;
  if (raw.ingress.length + raw.egress.length === 0) return { ingress: [], egress: [] };
  const names = programs();
  const named = (xs: { prog: number; link: number }[]) => xs.map((x) => ({ ...x, name: names.get(x.prog) ?? '?' }));
  return { ingress: named(raw.ingress), egress: named(raw.egress) };
}

/** Our programs (OUR_PROGRAMS) attached through tcx to a device. */
export function ourTcx(ns: Netns, dev: string): TcxAttachment[] {
  const t = tcx(ns, dev);
  return [...t.ingress, ...t.egress].filter((a) => OUR_PROGRAMS.includes(a.name));
}

/** tc filters on a device's clsact hooks (ingress and egress), as `tc filter show` prints them. */
export function tcFilters(ns: Netns, dev: string): string[] {
  const out: string[] = [];
  for (const hook of ['ingress', 'egress']) {
    const text = ns.exec('tc', ['filter', 'show', 'dev', dev, hook]);
    for (const line of text.split('\n')) if (line.trim() !== '') out.push(`${hook}: ${line.trim()}`);
  }
  return out;
}

/** Our clsact filters (by program name, or the fixed handle/priority the addon uses). */
export function ourTcFilters(ns: Netns, dev: string): string[] {
  return tcFilters(ns, dev).filter((l) => OUR_PROGRAMS.some((name) => l.includes(` name ${name} `)));
}

export function hasClsact(ns: Netns, dev: string): boolean {
  return /qdisc clsact/.test(ns.exec('tc', ['qdisc', 'show', 'dev', dev]));
}

export interface HeldObjects {
  links: { id: number; type: string; prog: number; ifindex?: number; attachType?: string }[];
  progs: number[];
}

/** The BPF links and programs a live process holds open (its fdinfo). */
export function heldBy(pid: number): HeldObjects {
  const held: HeldObjects = { links: [], progs: [] };
  const dir = `/proc/${pid}/fdinfo`;
  for (const fd of fs.readdirSync(dir)) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, fd), 'utf8');
    } catch {
      continue; // closed meanwhile
    }
    const get = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(text)?.[1];
    const linkId = get('link_id');
    const progId = get('prog_id');
    if (linkId !== undefined) {
      held.links.push({
        id: Number(linkId),
        type: get('link_type') ?? '',
        prog: Number(progId),
        ifindex: get('ifindex') !== undefined ? Number(get('ifindex')) : undefined,
        attachType: get('attach_type'),
      });
    } else if (progId !== undefined) {
      held.progs.push(Number(progId));
    }
  }
  return held;
}

/** Polls until none of these link ids exists any more; returns those still there at the deadline. */
export async function waitLinksGone(ids: readonly number[], ms = 2000): Promise<number[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const live = links();
    const left = ids.filter((id) => live.has(id));
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(50);
  }
}
