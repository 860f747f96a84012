import type { Child } from 'hono/jsx';

/**
 * Server-rendered SVG charts, no chart library and no script. The CSP forbids inline style, so
 * everything is drawn with SVG presentation attributes (fill, stroke, font-size), which it
 * allows. Each chart is one image to assistive technology (role="img", a <title> and a <desc>);
 * the page always puts the same numbers in a table beside it, so the chart is never the only way
 * to read them. Series differ by pattern as well as colour and are named in a legend.
 */

export interface ChartSeries {
  key: string;
  label: string;
  /** A colour with at least 4.5:1 contrast on white. */
  colour: string;
  /** Drawn over the colour so series are told apart without colour vision. */
  pattern?: 'solid' | 'hatch' | 'dots';
}

export interface ChartProps {
  /** Unique on the page: ids of the title, description and patterns derive from it. */
  id: string;
  title: string;
  description: string;
  series: ChartSeries[];
  /** One entry per bar (or bar group). */
  categories: Array<{ label: string; short?: string }>;
  /** values[category][series]. */
  values: number[][];
  /** "2026-01-03, Failure: 2": the tooltip of one segment. */
  segmentLabel?: (category: string, series: string, value: number) => string;
}

const TEXT = '#1b1f24';
const MUTED = '#505a66';
const GRID = '#d5dae1';
const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';

/** Round numbers for the value axis: 1, 2 or 5 times a power of ten. */
export function niceStep(rough: number): number {
  if (rough <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(rough));
  const f = rough / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

function patternId(chartId: string, s: ChartSeries): string {
  return `${chartId}-p-${s.key}`;
}

function fillOf(chartId: string, s: ChartSeries): string {
  return !s.pattern || s.pattern === 'solid' ? s.colour : `url(#${patternId(chartId, s)})`;
}

function Patterns({ id, series }: { id: string; series: ChartSeries[] }) {
  return (
    <defs>
      {series
        .filter((s) => s.pattern && s.pattern !== 'solid')
        .map((s) =>
          s.pattern === 'hatch' ? (
            <pattern id={patternId(id, s)} patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">
              <rect width="6" height="6" fill={s.colour} />
              <line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2" />
            </pattern>
          ) : (
            <pattern id={patternId(id, s)} patternUnits="userSpaceOnUse" width="6" height="6">
              <rect width="6" height="6" fill={s.colour} />
              <circle cx="3" cy="3" r="1.2" fill="#ffffff" />
            </pattern>
          ),
        )}
    </defs>
  );
}

/** The legend across the top: a swatch (with the series' pattern) and its name, for each series. */
function Legend({ id, series, x, y }: { id: string; series: ChartSeries[]; x: number; y: number }) {
  let offset = x;
  return (
    <g>
      {series.map((s) => {
        const at = offset;
        // System fonts differ; 7.5 units per character at size 12 leaves room for the widest.
        offset += 28 + s.label.length * 7.5;
        return (
          <g>
            <rect x={at} y={y - 10} width="14" height="14" fill={fillOf(id, s)} stroke={s.colour} stroke-width="1" />
            <text x={at + 20} y={y + 1} font-size="12" fill={TEXT}>
              {s.label}
            </text>
          </g>
        );
      })}
    </g>
  );
}

function Frame(props: { id: string; title: string; description: string; width: number; height: number; children?: Child }) {
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      id={props.id}
      class="chart"
      role="img"
      aria-labelledby={`${props.id}-title ${props.id}-desc`}
      viewBox={`0 0 ${props.width} ${props.height}`}
      width="100%"
      preserveAspectRatio="xMinYMin meet"
      font-family={FONT}
    >
      <title id={`${props.id}-title`}>{props.title}</title>
      <desc id={`${props.id}-desc`}>{props.description}</desc>
      {props.children}
    </svg>
  );
}

/** Vertical bars over the categories (days), each stacked from its series (outcomes) bottom-up. */
export function StackedBarChart(p: ChartProps) {
  const width = 720;
  const height = 260;
  const margin = { top: 34, right: 12, bottom: 34, left: 44 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const totals = p.values.map((row) => row.reduce((a, b) => a + b, 0));
  const max = Math.max(0, ...totals);
  const step = niceStep(max / 4);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks: number[] = [];
  for (let v = 0; v <= top; v += step) ticks.push(v);
  const y = (v: number) => margin.top + plotH - (v / top) * plotH;
  const n = Math.max(1, p.categories.length);
  const band = plotW / n;
  const barW = Math.max(2, band * 0.7);
  const labelEvery = Math.ceil(n / 10);
  const label = p.segmentLabel ?? ((c: string, s: string, v: number) => `${c}, ${s}: ${v}`);
  return (
    <Frame id={p.id} title={p.title} description={p.description} width={width} height={height}>
      <Patterns id={p.id} series={p.series} />
      <Legend id={p.id} series={p.series} x={margin.left} y={14} />
      <g>
        {ticks.map((v) => (
          <g>
            <line x1={margin.left} x2={width - margin.right} y1={y(v)} y2={y(v)} stroke={v === 0 ? MUTED : GRID} stroke-width="1" />
            <text x={margin.left - 6} y={y(v) + 4} font-size="11" text-anchor="end" fill={MUTED}>
              {String(v)}
            </text>
          </g>
        ))}
      </g>
      <g>
        {p.categories.map((c, i) => {
          const x = margin.left + i * band + (band - barW) / 2;
          let base = 0;
          const row = p.values[i] ?? [];
          return (
            <g>
              {p.series.map((s, j) => {
                const v = row[j] ?? 0;
                if (v <= 0) return null;
                const y0 = y(base);
                base += v;
                const y1 = y(base);
                return (
                  <rect x={x} y={y1} width={barW} height={Math.max(1, y0 - y1)} fill={fillOf(p.id, s)} stroke="#ffffff" stroke-width="1">
                    <title>{label(c.label, s.label, v)}</title>
                  </rect>
                );
              })}
              {i % labelEvery === 0 ? (
                <text x={x + barW / 2} y={height - margin.bottom + 16} font-size="11" text-anchor="middle" fill={MUTED}>
                  {c.short ?? c.label}
                </text>
              ) : null}
            </g>
          );
        })}
      </g>
    </Frame>
  );
}

/** Horizontal bars, one row per category and one bar per series, the value written at the end of each. */
export function HorizontalBarChart(p: ChartProps) {
  const width = 720;
  const labelW = 180;
  const valueW = 56;
  const barH = 16;
  const gap = 4;
  const legendH = p.series.length > 1 ? 30 : 8;
  const rowH = p.series.length * (barH + gap) + 10;
  const height = legendH + p.categories.length * rowH + 8;
  const plotW = width - labelW - valueW;
  const max = Math.max(1, ...p.values.flat());
  const label = p.segmentLabel ?? ((c: string, s: string, v: number) => `${c}, ${s}: ${v}`);
  return (
    <Frame id={p.id} title={p.title} description={p.description} width={width} height={height}>
      <Patterns id={p.id} series={p.series} />
      {p.series.length > 1 ? <Legend id={p.id} series={p.series} x={labelW} y={14} /> : null}
      <line x1={labelW} x2={labelW} y1={legendH - 2} y2={height - 4} stroke={MUTED} stroke-width="1" />
      {p.categories.map((c, i) => {
        const rowTop = legendH + i * rowH;
        return (
          <g>
            <text x={labelW - 8} y={rowTop + (rowH - 10) / 2 + 4} font-size="12" text-anchor="end" fill={TEXT}>
              {c.label}
            </text>
            {p.series.map((s, j) => {
              const v = p.values[i]?.[j] ?? 0;
              const w = (v / max) * plotW;
              const barY = rowTop + j * (barH + gap);
              return (
                <g>
                  {v > 0 ? (
                    <rect x={labelW} y={barY} width={Math.max(1, w)} height={barH} fill={fillOf(p.id, s)} stroke={s.colour} stroke-width="1">
                      <title>{label(c.label, s.label, v)}</title>
                    </rect>
                  ) : null}
                  <text x={labelW + w + 6} y={barY + barH - 4} font-size="12" fill={TEXT}>
                    {String(v)}
                  </text>
                </g>
              );
            })}
          </g>
        );
      })}
    </Frame>
  );
}
