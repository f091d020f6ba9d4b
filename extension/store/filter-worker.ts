// Display filtering off the extension host's main thread: decodes the packets of shared segments
// and reports the numbers that match, in chunks, so the view fills progressively. A newer job
// supersedes an older one between chunks.
import { parentPort } from 'node:worker_threads';
import { customColumnReads, customColumnText } from '../../packet/custom-columns.js';
import type { FilterReads } from '../../packet/decode/index.js';
import { applyDecodeAs, decodeForFilter, summarizePacket } from '../../packet/decode/index.js';
import { recordedIgnored, StreamReplay } from '../../packet/decode/stream-records.js';
import { compileDisplayFilter } from '../../packet/display-filter.js';
import { podLabel } from '../../packet/k8s-pod.js';
import { parseProcessComments, processLabel, processPod } from '../../packet/process-comment.js';
import { AddressTallies, addressReads } from './address-conversations.js';
import type {
  AddressJob,
  ColumnTextJob,
  ColumnTexts,
  FilterJob,
  FilterReply,
  PartMessage,
  PartReply,
  SegmentAddresses,
  SegmentCount,
  SegmentJob,
  SegmentPaths,
} from './filter-messages.js';
import { type SegmentSnapshot, segmentComments } from './packet-store.js';
import { HIERARCHY_READS, PathTallies, protocolPath } from './protocol-hierarchy.js';

const CHUNK = 20000;
let latestJob = 0;
const streams = new StreamReplay();

function run(job: FilterJob): void {
  latestJob = job.id;
  applyDecodeAs(job.decodeAs);
  const filter = compileDisplayFilter(job.text, { textSearch: job.textSearch });
  const marked = new Set(job.marked);
  let segmentIndex = 0;
  let number = job.from;

  const step = () => {
    if (job.id !== latestJob) return;
    const matches: number[] = [];
    let budget = CHUNK;
    while (budget > 0 && number <= job.to && segmentIndex < job.segments.length) {
      const seg = job.segments[segmentIndex]!; // segmentIndex < length: the loop's condition
      const i = number - seg.firstNumber;
      if (i < 0) {
        number = seg.firstNumber;
        continue;
      }
      if (i >= seg.count) {
        segmentIndex++;
        continue;
      }
      // 0 <= i < seg.count: every per-packet array holds index i.
      const originalLength = seg.originalLengths[i]!;
      const interfaceId = seg.interfaceIds[i]!;
      // Filters on the columns alone (text search, info, frame.len) need no field tree, and
      // one on a few protocols' fields only those protocols' fields.
      const decoded = decodeIn(job.linkTypes, seg, i, filter);
      // The comments are read only for filters on the process (proc.*, container.*, k8s.*).
      const process = filter.needsProcess ? parseProcessComments(segmentComments(seg, i)) : undefined;
      const paused = job.paused !== undefined && inRanges(job.paused, number);
      const meta = {
        number,
        length: originalLength,
        pod: job.pods[interfaceId],
        process,
        paused,
        marked: marked.has(number),
        ignored: recordedIgnored(seg.streams, i),
      };
      if (filter.match(decoded, meta)) matches.push(number);
      number++;
      budget--;
    }
    const done = number > job.to || segmentIndex >= job.segments.length;
    const reply: FilterReply = {
      id: job.id,
      numbers: Uint32Array.from(matches),
      upTo: done ? job.to : number - 1,
      done,
    };
    parentPort!.postMessage(reply, [reply.numbers.buffer as ArrayBuffer]);
    if (!done) setImmediate(step);
  };
  step();
}

/** Whether `n` lies in one of the sorted, inclusive ranges. */
function inRanges(ranges: [number, number][], n: number): boolean {
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ranges[mid]![1] < n) lo = mid + 1;
    else hi = mid;
  }
  return lo < ranges.length && ranges[lo]![0] <= n;
}

/** Runs one part of a job the workers share (PartWork) and answers with its result. */
function runPart(message: PartMessage): void {
  applyDecodeAs(message.job.decodeAs);
  const result =
    message.kind === 'texts'
      ? columnTexts(message.job)
      : message.kind === 'addresses'
        ? segmentAddresses(message.job)
        : segmentPaths(message.job);
  const reply: PartReply = { id: message.id, part: message.part, result };
  parentPort!.postMessage(reply, 'ids' in result ? [result.ids.buffer as ArrayBuffer] : []);
}

/** Calls `visit` with each of `numbers` held by the segments (ascending), where it is. */
function eachPacket(
  numbers: Uint32Array,
  segments: SegmentSnapshot[],
  visit: (k: number, seg: SegmentSnapshot | undefined, i: number) => void,
): void {
  let s = 0;
  for (let k = 0; k < numbers.length; k++) {
    const number = numbers[k]!;
    while (s < segments.length && number >= segments[s]!.firstNumber + segments[s]!.count) s++;
    const seg = segments[s];
    const i = seg ? number - seg.firstNumber : -1;
    visit(k, seg && i >= 0 ? seg : undefined, i);
  }
}

/** Counts the part's packets segment by segment, in packet order: `count` adds a packet to its
 *  segment's tallies (`start` makes them), `end` turns them into the answer. */
function countBySegment<Tallies, T>(
  job: SegmentJob,
  start: () => Tallies,
  count: (tallies: Tallies, seg: SegmentSnapshot, i: number, number: number) => void,
  end: (tallies: Tallies) => T,
): SegmentCount<T>[] {
  const out: SegmentCount<T>[] = [];
  let firstNumber = -1;
  let tallies = start();
  eachPacket(job.numbers, job.segments, (k, seg, i) => {
    if (!seg) return;
    if (seg.firstNumber !== firstNumber) {
      if (firstNumber >= 0) out.push({ firstNumber, tallies: end(tallies) });
      firstNumber = seg.firstNumber;
      tallies = start();
    }
    count(tallies, seg, i, job.numbers[k]!);
  });
  if (firstNumber >= 0) out.push({ firstNumber, tallies: end(tallies) });
  return out;
}

/** Packet `i` of a segment: its captured bytes. */
function bytesOf(seg: SegmentSnapshot, i: number): Uint8Array {
  const start = seg.offsets[i]!;
  return seg.bytes.subarray(start, start + seg.capturedLengths[i]!);
}

/** Packet `i` of a segment, decoded as `reads` asks (its link type by its interface's id). */
function decodeIn(linkTypes: number[], seg: SegmentSnapshot, i: number, reads: FilterReads) {
  const linkType = linkTypes[seg.interfaceIds[i]!] ?? 1;
  return decodeForFilter(reads, linkType, bytesOf(seg, i), seg.originalLengths[i]!, streams.at(seg.streams, i));
}

/** The conversations of the job's protocol among the part's packets, by segment. */
function segmentAddresses(job: AddressJob): SegmentAddresses[] {
  const reads = addressReads(job.protocol);
  return countBySegment(
    job,
    () => new AddressTallies(job.protocol),
    (tallies, seg, i, number) =>
      tallies.add(number, decodeIn(job.linkTypes, seg, i, reads), seg.originalLengths[i]!, seg.times[i]!),
    (tallies) => tallies.tallies,
  );
}

/** The paths of protocols of the part's packets, by segment. */
function segmentPaths(job: SegmentJob): SegmentPaths[] {
  return countBySegment(
    job,
    () => new PathTallies(),
    (tallies, seg, i) =>
      tallies.add(protocolPath(decodeIn(job.linkTypes, seg, i, HIERARCHY_READS)), seg.originalLengths[i]!),
    (tallies) => tallies.tallies,
  );
}

/** The column's text of each packet of the part, as the table's rows show it (table-rows.ts). */
function columnTexts(job: ColumnTextJob): ColumnTexts {
  const reads = job.column === 'custom' ? customColumnReads([job.field ?? '']) : undefined;
  const texts: string[] = [];
  const idOf = new Map<string, number>();
  const ids = new Uint32Array(job.numbers.length);
  eachPacket(job.numbers, job.segments, (k, seg, i) => {
    const text = seg ? columnText(job, seg, i, reads) : '';
    let id = idOf.get(text);
    if (id === undefined) {
      id = texts.push(text) - 1;
      idOf.set(text, id);
    }
    ids[k] = id;
  });
  return { texts, ids };
}

function columnText(job: ColumnTextJob, seg: SegmentSnapshot, i: number, reads?: FilterReads): string {
  const interfaceId = seg.interfaceIds[i]!;
  if (job.column === 'pod' || job.column === 'process') {
    const process = parseProcessComments(segmentComments(seg, i));
    if (job.column === 'process') return process ? processLabel(process) : '';
    const pod = job.pods[interfaceId] ?? (process && processPod(process));
    return pod ? podLabel(pod) : '';
  }
  if (job.column === 'custom') return customColumnText(decodeIn(job.linkTypes, seg, i, reads!), job.field ?? '');
  const linkType = job.linkTypes[interfaceId] ?? 1;
  return summarizePacket(linkType, bytesOf(seg, i), seg.originalLengths[i]!, streams.at(seg.streams, i))[job.column];
}

parentPort!.on('message', (message: FilterJob | PartMessage) => ('part' in message ? runPart(message) : run(message)));
