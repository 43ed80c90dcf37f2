// Graphs drawn by uPlot: this only hands it the series and keeps it sized to its box.
import uPlot from "uplot";
import { useEffect, useRef } from "preact/hooks";

const COLORS = ["#2563eb", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d"];

/// `days` are ISO dates (the x axis); `lines` are `{label, values}` aligned with them.
export function DaysChart({ title, days, lines, unit }) {
  const box = useRef(null);
  useEffect(() => {
    if (!box.current || days.length === 0) return undefined;
    const xs = days.map((d) => new Date(`${d}T00:00:00`).getTime() / 1000);
    const options = {
      title,
      width: box.current.clientWidth || 600,
      height: 240,
      series: [
        {},
        ...lines.map((line, i) => ({
          label: line.label,
          stroke: COLORS[i % COLORS.length],
          width: 2,
          value: (_, v) => (v === null || v === undefined ? "—" : `${v.toLocaleString()} ${unit}`),
        })),
      ],
      axes: [{}, { values: (_, ticks) => ticks.map((t) => t.toLocaleString()) }],
      scales: { x: { time: true } },
    };
    const plot = new uPlot(options, [xs, ...lines.map((l) => l.values)], box.current);
    const resize = new ResizeObserver(() => plot.setSize({ width: box.current.clientWidth, height: 240 }));
    resize.observe(box.current);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [title, days, lines, unit]);
  return <div class="chart" ref={box} role="img" aria-label={title} />;
}
