// Statistics → I/O Graph: packets (or bytes) per second over the capture, every packet and those the
// display filter shows, drawn with uPlot (a small canvas chart, bundled: nothing is fetched). Drop
// reports and the debugged process's pauses are lines on the same time axis, listed below it too.
// A click on the graph, or Enter on the graph's cursor moved by the arrows, selects the first
// packet shown from that moment. Colours are the theme's chart colours, read again when it changes.
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import uPlot from 'uplot';
import {
  IO_INTERVALS_MS,
  type IoEvent,
  type IoGraphMessage,
  type IoGraphView,
  type IoInterval,
  type IoIntervalChoice,
  type IoUnit,
} from '../packet/io-graph-protocol.js';
import { h } from './dom.js';
import { startTabPage } from './tab-page.js';

const INTERVAL_NAMES: Record<IoInterval, string> = {
  1: '1 ms',
  10: '10 ms',
  100: '100 ms',
  1000: '1 s',
  10000: '10 s',
  60000: '1 min',
};

const UNIT_NAMES: Record<IoUnit, string> = { packets: 'Packets/s', bytes: 'Bytes/s' };

/** Each event kind's colour: a theme chart colour. */
const EVENT_COLORS: Record<IoEvent['kind'], string> = {
  drops: '--vscode-charts-red',
  paused: '--vscode-charts-yellow',
  continued: '--vscode-charts-green',
};

export interface IoGraphPage {
  show(view: IoGraphView): void;
  /** How long the last drawing of the chart took, in ms (the benchmark reads it). */
  readonly lastDrawMs: number;
}

function themeColor(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

function select<V extends string | number>(label: string, options: [V, string][], onChange: (v: V) => void) {
  const choice = document.createElement('vscode-single-select');
  choice.setAttribute('aria-label', label);
  choice.label = label; // the name of the combobox inside it, which screen readers reach
  for (const [value, text] of options) {
    const option = document.createElement('vscode-option');
    option.value = String(value);
    option.textContent = text;
    choice.append(option);
  }
  choice.addEventListener('change', () => {
    const picked = options.find(([v]) => String(v) === choice.value);
    if (picked) onChange(picked[0]);
  });
  return choice;
}

/** Mounts the tab's page in `root`; `post` carries the user's choices to the host. */
export function mountIoGraph(root: HTMLElement, post: (m: IoGraphMessage) => void): IoGraphPage {
  let current: IoGraphView | undefined;
  let chart: uPlot | undefined;
  let lastDrawMs = 0;
  const choose = (change: Partial<{ intervalMs: IoIntervalChoice; unit: IoUnit }>) => {
    if (!current) return;
    const intervalMs = current.auto ? 'auto' : current.intervalMs;
    post({ type: 'choose', intervalMs, unit: current.unit, ...change });
  };
  const interval = select<IoIntervalChoice>(
    'Interval',
    [['auto', 'Auto'], ...IO_INTERVALS_MS.map((ms): [IoInterval, string] => [ms, INTERVAL_NAMES[ms]])],
    (intervalMs) => choose({ intervalMs }),
  );
  const unit = select<IoUnit>(
    'Unit',
    [
      ['packets', UNIT_NAMES.packets],
      ['bytes', UNIT_NAMES.bytes],
    ],
    (unit) => choose({ unit }),
  );
  const status = h('span', { class: 'io-status', attrs: { role: 'status' } });
  const plot = h('div', {
    class: 'io-plot',
    attrs: { tabindex: '0', role: 'img', 'aria-roledescription': 'graph' },
  });
  const events = h('ul', { class: 'io-events', attrs: { 'aria-label': 'Events' } });
  root.append(
    h(
      'div',
      { class: 'io' },
      h('header', {}, interval, unit, status),
      plot,
      events,
      h(
        'footer',
        {},
        'Click the graph, or move its cursor with the arrows and press Enter, to go to that moment’s packet.',
      ),
    ),
  );

  const seconds = (view: IoGraphView) => view.intervalMs / 1000;

  /** The chart's data: each interval's start (s) and its rate per second, per series. */
  function data(view: IoGraphView): uPlot.AlignedData {
    const step = seconds(view);
    const xs = view.all.map((_, i) => i * step);
    const rate = (values: number[]) => xs.map((_, i) => (values[i] ?? 0) / step);
    return view.displayed ? [xs, rate(view.all), rate(view.displayed.values)] : [xs, rate(view.all)];
  }

  function drawEvents(u: uPlot): void {
    if (!current) return;
    const { ctx } = u;
    const { top, height } = u.bbox;
    ctx.save();
    ctx.lineWidth = Math.max(1, devicePixelRatio);
    for (const e of current.events) {
      const x = Math.round(u.valToPos(e.at, 'x', true));
      if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
      ctx.strokeStyle = themeColor(EVENT_COLORS[e.kind], 'red');
      ctx.setLineDash(e.kind === 'drops' ? [] : [4 * devicePixelRatio, 3 * devicePixelRatio]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
    }
    ctx.restore();
  }

  function build(view: IoGraphView): void {
    chart?.destroy();
    const fg = themeColor('--vscode-foreground', '#888');
    const grid = themeColor('--vscode-charts-lines', 'rgba(128,128,128,0.3)');
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const series: uPlot.Series[] = [
      { label: 'Time (s)' },
      {
        label: 'All packets',
        stroke: themeColor('--vscode-charts-blue', '#3794ff'),
        width: 1.5,
        points: { show: false },
      },
    ];
    if (view.displayed)
      series.push({
        label: `Displayed: ${view.displayed.filter}`,
        stroke: themeColor('--vscode-charts-orange', '#d18616'),
        width: 1.5,
        points: { show: false },
      });
    chart = new uPlot(
      {
        width: Math.max(200, plot.clientWidth),
        height: Math.max(160, plot.clientHeight - 40),
        series,
        // Time in seconds, not dates; rates from 0, as Wireshark draws them.
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.05)] } },
        axes: [
          { ...axis, label: 'Seconds since the first packet' },
          { ...axis, label: UNIT_NAMES[view.unit], size: 70 },
        ],
        legend: { live: true },
        hooks: { draw: [drawEvents] },
      },
      data(view),
      plot,
    );
    chart.over.addEventListener('click', () => goToCursor());
  }

  /** Goes to the first packet of the interval under the cursor. */
  function goToCursor(): void {
    const index = chart?.cursor.idx;
    if (!current || index === undefined || index === null) return;
    post({ type: 'goTo', at: index * seconds(current) });
  }

  /** The arrows move the cursor an interval at a time (Home/End: to the ends); Enter goes to its
   *  packet. */
  plot.addEventListener('keydown', (e) => {
    if (!chart || !current) return;
    if (e.key === 'Enter') {
      e.preventDefault();
      goToCursor();
      return;
    }
    const last = current.all.length - 1;
    const at = chart.cursor.idx ?? 0;
    const moves: Record<string, number> = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: last };
    const to = moves[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const index = Math.min(last, Math.max(0, to));
    chart.setCursor({
      left: chart.valToPos(index * seconds(current), 'x'),
      top: chart.bbox.height / devicePixelRatio / 2,
    });
  });

  function describe(view: IoGraphView): void {
    const step = seconds(view);
    let peak = 0;
    for (const [i, v] of view.all.entries()) if (v > (view.all[peak] ?? 0)) peak = i;
    const rate = (view.all[peak] ?? 0) / step;
    plot.setAttribute(
      'aria-label',
      `${UNIT_NAMES[view.unit]} of ${view.captureTitle} in ${INTERVAL_NAMES[view.intervalMs]} intervals over ` +
        `${(view.all.length * step).toFixed(3)} s; highest ${rate.toFixed(0)} at ${(peak * step).toFixed(3)} s` +
        (view.displayed ? `; a second line for the display filter ${view.displayed.filter}` : ''),
    );
    status.textContent =
      `${INTERVAL_NAMES[view.intervalMs]} intervals${view.auto ? ' (auto)' : ''}` +
      (view.displayed ? ` · displayed: ${view.displayed.filter}` : '') +
      (view.live ? ' · capturing' : '');
    events.replaceChildren(
      ...view.events.map((e) => {
        const item = h(
          'li',
          { class: `io-event ${e.kind}`, attrs: { tabindex: '0' } },
          h('span', { class: 'io-event-at', text: `${e.at.toFixed(3)} s` }),
          h('span', { text: e.label }),
        );
        const go = () => post({ type: 'goTo', at: Math.max(0, e.at) });
        item.addEventListener('click', go);
        item.addEventListener('keydown', (k) => {
          if (k.key === 'Enter') go();
        });
        return item;
      }),
    );
  }

  function draw(view: IoGraphView, rebuild: boolean): void {
    const t0 = performance.now();
    if (rebuild || !chart) build(view);
    else chart.setData(data(view));
    lastDrawMs = performance.now() - t0;
  }

  new ResizeObserver(() => {
    if (chart) chart.setSize({ width: Math.max(200, plot.clientWidth), height: Math.max(160, plot.clientHeight - 40) });
  }).observe(plot);
  // A theme change: the chart is drawn again in the new theme's colours.
  new MutationObserver(() => current && draw(current, true)).observe(document.body, {
    attributes: true,
    attributeFilter: ['class'],
  });

  return {
    show(view) {
      // The series or their names changed: a new chart; else new data in the same one.
      const rebuild =
        !current ||
        current.unit !== view.unit ||
        current.displayed?.filter !== view.displayed?.filter ||
        (current.displayed === undefined) !== (view.displayed === undefined);
      current = view;
      interval.value = view.auto ? 'auto' : String(view.intervalMs);
      unit.value = view.unit;
      describe(view);
      draw(view, rebuild);
    },
    get lastDrawMs() {
      return lastDrawMs;
    },
  };
}

startTabPage<IoGraphView, IoGraphMessage>('io-graph', mountIoGraph);
